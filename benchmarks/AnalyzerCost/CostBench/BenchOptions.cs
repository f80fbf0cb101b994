using System.Globalization;

namespace CostBench;

/// <summary>Command-line options of <c>run.sh</c> (the <c>bench</c> command).</summary>
internal sealed class BenchOptions
{
    public List<int> Sizes { get; private set; } = [50, 200, 800];

    public int Rounds { get; private set; } = 3;

    /// <summary>private, internal or both: which host families to build.</summary>
    public string Fields { get; private set; } = "both";

    /// <summary>fresh (a new compiler process per build) or server (the warm compiler server).</summary>
    public string Compiler { get; private set; } = "fresh";

    /// <summary>Whether to build the fixed-size corpora: no Wasmtime, sparse, the big method and the chains.</summary>
    public bool Special { get; private set; } = true;

    /// <summary>Whether to build the host families (off with --special-only).</summary>
    public bool Families { get; private set; } = true;

    public bool KeepLogs { get; private set; }

    /// <summary>Whether every corpus, not only the ordinary-code ones, is also built with the SDK's default analyzers, with and without WasmViewAnalyzers.</summary>
    public bool SdkBaseline { get; private set; }

    /// <summary>A git revision whose analyzer sources to measure instead of the working tree's.</summary>
    public string? AnalyzerFrom { get; private set; }

    /// <summary>The sizes of the host corpora whose editor latency is measured after the builds (those that are also in <see cref="Sizes"/>); empty with --no-editor.</summary>
    public List<int> EditorFiles { get; private set; } = [200, 800];

    public string WorkDirectory { get; private set; } = Path.Combine(Path.GetTempPath(), "wva-analyzer-cost");

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--sizes":
                    options.Sizes = Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).Order().ToList();
                    break;
                case "--rounds":
                    options.Rounds = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--fields":
                    options.Fields = OneOf(Value(), "--fields", "private", "internal", "both");
                    break;
                case "--compiler":
                    options.Compiler = OneOf(Value(), "--compiler", "fresh", "server");
                    break;
                case "--quick":
                    options.Sizes = [50, 200];
                    options.Rounds = 2;
                    break;
                case "--no-special":
                    options.Special = false;
                    break;
                case "--special-only":
                    options.Families = false;
                    break;
                case "--analyzer-from":
                    options.AnalyzerFrom = Value();
                    break;
                case "--sdk-baseline":
                    options.SdkBaseline = true;
                    break;
                case "--editor-files":
                    options.EditorFiles = EditorOptions.Numbers(Value());
                    break;
                case "--no-editor":
                    options.EditorFiles = [];
                    break;
                case "--keep-logs":
                    options.KeepLogs = true;
                    break;
                case "--work":
                    options.WorkDirectory = Value();
                    break;
                default:
                    throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        return options;
    }

    private static string OneOf(string value, string option, params string[] allowed)
        => allowed.Contains(value, StringComparer.Ordinal) ? value : throw new ArgumentException($"{option} {string.Join('|', allowed)}");

    /// <summary>The corpora to build, in table order.</summary>
    public IEnumerable<(CorpusKind Kind, int Files)> Corpora()
    {
        if (Families)
        {
            foreach (var size in Sizes)
            {
                if (Fields is "private" or "both")
                {
                    yield return (CorpusKind.HostsPrivate, size);
                }

                if (Fields is "internal" or "both")
                {
                    yield return (CorpusKind.HostsInternal, size);
                }
            }
        }

        if (Special)
        {
            // Capped so that a full run stays near 20 minutes on 2 cores; the bail-out costs the same at any size.
            var ordinary = Math.Min(Sizes[^1], 400);
            yield return (CorpusKind.NoWasmtime, ordinary);
            yield return (CorpusKind.Sparse, ordinary);
            yield return (CorpusKind.BigMethod, 1);
            yield return (CorpusKind.ChainPassed, CorpusGenerator.ChainDepth);
            yield return (CorpusKind.ChainHeld, CorpusGenerator.ChainDepth);
        }
    }
}
