using System.Globalization;

namespace CostBench;

/// <summary>
/// The analyzer cost benchmark (benchmarks/AnalyzerCost/run.sh). Commands:
/// <list type="bullet">
/// <item><c>bench [options]</c>: generate the corpora, build each in every configuration over interleaved rounds, then measure the editor latency on the host corpora of 200 and 800 files; print both tables.</item>
/// <item><c>editor [options]</c>: only the editor latency (<see cref="EditorLatency"/>, options in <see cref="EditorOptions"/>).</item>
/// <item><c>generate KIND FILES DIR</c>: write one corpus (kinds: see <see cref="CorpusKind"/>).</item>
/// <item><c>table FILE [--compiler fresh|server]</c>: print the table of a run again from its measurements.tsv (and its editor.tsv, if any, beside it); <c>table DIR/editor.tsv</c> prints the editor table alone.</item>
/// <item><c>analyze DIR [wva|ca2000|both] [repeat] [prebind]</c>: run the analyzers in process over a corpus built once (CompilationWithAnalyzers), for profiling; <c>prebind</c> binds every body first (<see cref="PrebindAnalyzer"/>).</item>
/// <item><c>same-results BEFORE.dll AFTER.dll DIR...</c>: whether two builds of WasmViewAnalyzers report the same diagnostics on the corpora (<see cref="SameResults"/>).</item>
/// </list>
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        var repository = FindRepository();
        var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "bench";
        var rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
        try
        {
            switch (command)
            {
                case "bench":
                    return new BuildBenchmark(BenchOptions.Parse(rest), repository).Run();
                case "generate":
                    var kind = Enum.Parse<CorpusKind>(rest[0], ignoreCase: true);
                    var analyzerProject = Path.Combine(repository, "src", "WasmViewAnalyzers", "WasmViewAnalyzers.csproj");
                    Console.WriteLine(CorpusGenerator.Write(kind, int.Parse(rest[1], CultureInfo.InvariantCulture), Path.GetFullPath(rest[2]), analyzerProject));
                    return 0;
                case "editor":
                    return EditorLatency.Run(EditorOptions.Parse(rest), repository);
                case "table":
                    var editorTable = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(rest[0]))!, "editor.tsv");
                    if (Path.GetFileName(rest[0]) != "editor.tsv")
                    {
                        Console.WriteLine(ResultTable.Render(ResultTable.ReadRaw(rest[0]), BenchOptions.Parse(rest[1..])));
                    }

                    if (File.Exists(editorTable))
                    {
                        Console.WriteLine(EditorTable.RenderRaw(editorTable));
                    }

                    return 0;
                case "analyze":
                    return InProcessHarness.Run(
                        Path.GetFullPath(rest[0]),
                        rest.Length > 1 ? rest[1] : "wva",
                        rest.Length > 2 ? int.Parse(rest[2], CultureInfo.InvariantCulture) : 1,
                        repository,
                        prebind: rest.Length > 3 && rest[3] == "prebind");
                case "same-results":
                    return SameResults.Run(rest[0], rest[1], rest[2..]);
                default:
                    Console.Error.WriteLine($"unknown command {command}; see benchmarks/AnalyzerCost/README.md");
                    return 2;
            }
        }
        catch (ArgumentException exception)
        {
            Console.Error.WriteLine(exception.Message);
            return 2;
        }
    }

    private static string FindRepository()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "WasmViewAnalyzers.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("run from a build inside the repository");
    }
}
