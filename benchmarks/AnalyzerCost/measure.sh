#!/usr/bin/env bash
# Measures what the analyzers cost in a real build: generates a project of N host files (each with
# views, guest calls, helpers, loops, lambdas and plain code), builds it once with the analyzers
# and /p:ReportAnalyzer=true, and prints the compiler's own timing of each analyzer.
# Usage: benchmarks/AnalyzerCost/measure.sh [files=200] [with|without]   (without: the same build, analyzer not referenced)
set -euo pipefail
files="${1:-200}"
mode="${2:-with}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cat >"$work/Cost.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <AllowUnsafeBlocks>true</AllowUnsafeBlocks>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <NoWarn>$(NoWarn);CS0168;CS0219</NoWarn>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Wasmtime" Version="50.0.1" />
    <ProjectReference Condition="'$mode' == 'with'" Include="$root/src/WasmViewAnalyzers/WasmViewAnalyzers.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
  </ItemGroup>
</Project>
XML

for i in $(seq 1 "$files"); do
cat >"$work/Host$i.cs" <<CS
using System.Runtime.InteropServices;
using Wasmtime;

namespace Cost;

public unsafe sealed class Host$i
{
    private readonly Memory _memory;
    private readonly Func<int, int> _convert;
    private readonly Action _reset;
    private readonly List<Memory<byte>> _pending = new();

    public Host$i(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _convert = instance.GetFunction<int, int>("convert")!;
        _reset = instance.GetAction("reset")!;
    }

    private Span<byte> Output(int address, int length) => _memory.GetSpan(address, length);

    private int Step(int input) => input < 0 ? 0 : _convert(input);

    public int Checksum(ReadOnlySpan<byte> data)
    {
        var sum = 0;
        foreach (var b in data)
        {
            sum = (sum * 31) + b;
        }

        return sum;
    }

    public int Convert(int[] inputs)
    {
        var total = 0;
        for (var i = 0; i < inputs.Length; i++)
        {
            var output = Output(Step(inputs[i]), 64);
            total += Checksum(output);
            if (i % 2 == 0)
            {
                _reset();
            }

            var words = MemoryMarshal.Cast<byte, int>(output);
            total += words.Length > 0 ? words[0] : 0;
        }

        return total;
    }

    public void Queue(int[] inputs, Stream sink)
    {
        foreach (var input in inputs)
        {
            var address = _convert(input);
            var view = _memory.GetSpan(address, 16);
            sink.Write(view);
            _pending.Add(view.ToArray());
        }

        try
        {
            var p = (byte*)_memory.GetPointer();
            _memory.Grow(1);
            sink.WriteByte(p[0]);
        }
        finally
        {
            _reset();
        }
    }

    public string Describe(int count)
    {
        var parts = new List<string>();
        for (var i = 0; i < count; i++)
        {
            parts.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Func<int, int> later = x => _convert(x);
        return string.Join(",", parts) + later.Method.Name;
    }
}
CS
done

cd "$work"
dotnet restore -nologo -v:q >/dev/null
# Build the analyzer first, so that the timed build compiles only the generated project.
dotnet build "$root/src/WasmViewAnalyzers" -c Release -nologo -v:q >/dev/null
start=$(date +%s.%N)
dotnet build --no-restore -c Release -nologo -v:detailed -p:ReportAnalyzer=true >build.log 2>&1 || { tail -50 build.log; exit 1; }
end=$(date +%s.%N)
echo "files: $files (generated host classes, ~110 lines each)"
echo "build wall time: $(echo "$end - $start" | bc) s"
echo "WVA001 warnings: $(grep -oE 'Host[0-9]+\.cs\([0-9]+,[0-9]+\): warning WVA001' build.log | sort -u | wc -l)"
# The compiler's report: total analyzer time, then each analyzer assembly and analyzer.
awk '/Total analyzer execution time/ {on=1} on && /Total generator execution time/ {on=0} on' build.log \
  | grep -E "Total analyzer execution time|Time \(s\)|WasmViewAnalyzers|NetAnalyzers, Version" | sed -E 's/^[0-9]+>//' | head -12
