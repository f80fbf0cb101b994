using System.Globalization;

namespace CostBench;

/// <summary>Command-line options of the <c>editor</c> command (<see cref="EditorLatency"/>).</summary>
internal sealed class EditorOptions
{
    public List<int> Files { get; private set; } = [200, 800];

    /// <summary>The host families to edit: private (exports in private fields), internal (in internal/public members used from other files).</summary>
    public List<CorpusKind> Families { get; private set; } = [CorpusKind.HostsPrivate, CorpusKind.HostsInternal];

    /// <summary>Measured edits per corpus, each requested once with WasmViewAnalyzers and once with CA2000.</summary>
    public int Edits { get; private set; } = 20;

    /// <summary>
    /// Edits made and requested before the measured ones, not recorded: first loads and the JIT. The
    /// analyzer's code starts at tier 0 and is promoted only after it has run for a while (later still
    /// on a loaded machine): with 3 warm-up edits a fresh process spent 2.1 s of CPU per request on
    /// hosts-private-800 against 0.9 s after 46 earlier requests, and the first corpus of a run paid for it.
    /// </summary>
    public int Warmup { get; private set; } = 10;

    /// <summary>Seeds the choice of file, line and change: the same seed makes the same edits, so two analyzer builds can be compared on them.</summary>
    public int Seed { get; private set; } = 1;

    public string WorkDirectory { get; private set; } = Path.Combine(Path.GetTempPath(), "wva-analyzer-cost");

    public static EditorOptions Parse(IReadOnlyList<string> args)
    {
        var options = new EditorOptions();
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--files":
                    options.Files = Numbers(Value());
                    break;
                case "--families":
                    options.Families = Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Family).Distinct().ToList();
                    break;
                case "--edits":
                    options.Edits = Positive(Value(), "--edits");
                    break;
                case "--warmup":
                    options.Warmup = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--seed":
                    options.Seed = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--work":
                    options.WorkDirectory = Value();
                    break;
                default:
                    throw new ArgumentException($"unknown option {args[i]}; editor [--files 200,800] [--families private,internal] [--edits 20] [--warmup 10] [--seed 1] [--work DIR]");
            }
        }

        return options;
    }

    /// <summary>The options of the editor run that follows a full build benchmark: its host corpora, its work directory.</summary>
    public static EditorOptions ForBuild(BenchOptions build, IEnumerable<int> files) => new()
    {
        Files = files.ToList(),
        Families = build.Fields switch
        {
            "private" => [CorpusKind.HostsPrivate],
            "internal" => [CorpusKind.HostsInternal],
            _ => [CorpusKind.HostsPrivate, CorpusKind.HostsInternal],
        },
        WorkDirectory = build.WorkDirectory,
    };

    /// <summary>The corpora to edit, smaller first.</summary>
    public IEnumerable<(CorpusKind Kind, int Files)> Corpora()
        => from files in Files.Order()
           from family in Families
           select (family, files);

    public string Describe()
        => string.Create(CultureInfo.InvariantCulture, $"--files {string.Join(',', Files)} --families {string.Join(',', Families.Select(FamilyName))} --edits {Edits} --warmup {Warmup} --seed {Seed}");

    public static string FamilyName(CorpusKind kind) => kind == CorpusKind.HostsPrivate ? "private" : "internal";

    internal static List<int> Numbers(string value)
        => value.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => Positive(s, "a size")).Order().ToList();

    private static CorpusKind Family(string name) => name switch
    {
        "private" => CorpusKind.HostsPrivate,
        "internal" => CorpusKind.HostsInternal,
        _ => throw new ArgumentException("--families private,internal"),
    };

    private static int Positive(string value, string what)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{what}: a positive number, not '{value}'");
}
