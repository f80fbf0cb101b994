using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

// Usage: ApplyCodeFix <compile-model.json> <package-directory> <equivalence-key>
//
// <compile-model.json> is what `dotnet build -t:Build -getItem:Compile -getItem:ReferencePath -getItem:Analyzer
// -getItem:EditorConfigFiles -getProperty:...` prints for the project: the exact inputs the compiler got. The analyzers
// and code fixes are the project's Analyzer items that come from <package-directory> (the installed package in the
// NuGet cache), so what runs is what the package shipped, not this repository's build output. Every diagnostic those
// analyzers report that offers a fix with <equivalence-key> gets that fix, one at a time as a user would apply them,
// and the changed files are written back.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: ApplyCodeFix <compile-model.json> <package-directory> <equivalence-key>");
    return 2;
}

var (modelPath, packageDirectory, equivalenceKey) = (args[0], Path.GetFullPath(args[1]), args[2]);
var model = CompileModel.Read(modelPath);

var packageAssemblies = model.Analyzers.Where(path => path.StartsWith(packageDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal)).ToArray();
if (packageAssemblies.Length == 0)
{
    Console.Error.WriteLine($"the project's analyzers include nothing from {packageDirectory}:");
    Console.Error.WriteLine(string.Join(Environment.NewLine, model.Analyzers.Select(path => "  " + path)));
    return 1;
}

var (analyzers, fixers) = PackageLoader.Load(packageAssemblies);
Console.WriteLine($"loaded from {Path.GetDirectoryName(packageAssemblies[0])}: {string.Join(", ", packageAssemblies.Select(Path.GetFileName))}");
Console.WriteLine($"  analyzers: {string.Join(", ", analyzers.Select(a => a.GetType().Name))}");
Console.WriteLine($"  code fixes: {string.Join(", ", fixers.Select(f => f.GetType().Name))}");
if (analyzers.IsEmpty || fixers.IsEmpty)
{
    Console.Error.WriteLine("the package holds no C# analyzer or no C# code fix");
    return 1;
}

using var workspace = new AdhocWorkspace();
var project = workspace.AddProject(model.ToProjectInfo());
var originalSolution = project.Solution;

var compileErrors = (await project.GetCompilationAsync())!.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
if (compileErrors.Length > 0)
{
    Console.Error.WriteLine("the project, as read from the compile model, does not compile here:");
    Console.Error.WriteLine(string.Join(Environment.NewLine, compileErrors.Select(d => "  " + d)));
    return 1;
}

// One diagnostic at a time, re-analyzing after each fix, as a user clicking through the light bulbs would.
const int MaxFixes = 100;
var applied = 0;
while (applied < MaxFixes)
{
    var diagnostics = await AnalyzeAsync(project, analyzers);
    var failures = diagnostics.Where(d => d.Id == "AD0001").ToArray();
    if (failures.Length > 0)
    {
        Console.Error.WriteLine("an analyzer threw:");
        Console.Error.WriteLine(string.Join(Environment.NewLine, failures.Select(d => "  " + d)));
        return 1;
    }

    var next = await FindFixAsync(project, diagnostics, fixers, equivalenceKey);
    if (next is null)
    {
        break;
    }

    var (diagnostic, action) = next.Value;
    var operations = await action.GetOperationsAsync(CancellationToken.None);
    var changedSolution = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
    project = changedSolution.GetProject(project.Id)!;
    applied++;
    Console.WriteLine($"applied '{action.Title}' [{action.EquivalenceKey}] to {diagnostic.Id} at {Describe(diagnostic)}");
}

if (applied == 0)
{
    Console.Error.WriteLine($"no diagnostic offers a fix with equivalence key '{equivalenceKey}'");
    return 1;
}

foreach (var documentId in project.Solution.GetChanges(originalSolution).GetProjectChanges().SelectMany(p => p.GetChangedDocuments()))
{
    var document = project.GetDocument(documentId)!;
    var text = await document.GetTextAsync();
    await File.WriteAllTextAsync(document.FilePath!, text.ToString(), text.Encoding ?? Encoding.UTF8);
    Console.WriteLine($"wrote {document.FilePath}");
}

return 0;

static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Project project, ImmutableArray<DiagnosticAnalyzer> analyzers)
{
    var compilation = (await project.GetCompilationAsync())!;
    var options = new CompilationWithAnalyzersOptions(project.AnalyzerOptions, onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: false);
    return await compilation.WithAnalyzers(analyzers, options).GetAllDiagnosticsAsync();
}

// The first diagnostic, in source order, for which a fixer offers the fix: printed with every fix offered for it.
static async Task<(Diagnostic Diagnostic, CodeAction Action)?> FindFixAsync(Project project, ImmutableArray<Diagnostic> diagnostics, ImmutableArray<CodeFixProvider> fixers, string equivalenceKey)
{
    foreach (var diagnostic in diagnostics.Where(d => d.Location.IsInSource).OrderBy(d => d.Location.SourceTree!.FilePath, StringComparer.Ordinal).ThenBy(d => d.Location.SourceSpan.Start))
    {
        var document = project.GetDocument(diagnostic.Location.SourceTree);
        if (document is null)
        {
            continue;
        }

        var offered = new List<CodeAction>();
        foreach (var fixer in fixers.Where(f => f.FixableDiagnosticIds.Contains(diagnostic.Id)))
        {
            await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => offered.Add(action), CancellationToken.None));
        }

        if (offered.Count == 0)
        {
            continue;
        }

        Console.WriteLine($"{diagnostic.Id} at {Describe(diagnostic)}: {diagnostic.GetMessage()}");
        foreach (var action in offered)
        {
            Console.WriteLine($"  fix offered: '{action.Title}' [{action.EquivalenceKey}]");
        }

        if (offered.FirstOrDefault(a => a.EquivalenceKey == equivalenceKey) is { } chosen)
        {
            return (diagnostic, chosen);
        }
    }

    return null;
}

static string Describe(Diagnostic diagnostic)
{
    var span = diagnostic.Location.GetLineSpan();
    return $"{Path.GetFileName(span.Path)}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1})";
}

/// <summary>The compiler's inputs for one project, as MSBuild reported them after a build.</summary>
internal sealed record CompileModel(
    string AssemblyName,
    string OutputType,
    string LangVersion,
    string Nullable,
    bool AllowUnsafeBlocks,
    ImmutableArray<string> DefineConstants,
    ImmutableArray<string> Sources,
    ImmutableArray<string> References,
    ImmutableArray<string> Analyzers,
    ImmutableArray<string> AnalyzerConfigs)
{
    public static CompileModel Read(string path)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var properties = json.RootElement.GetProperty("Properties");
        var items = json.RootElement.GetProperty("Items");
        string Property(string name) => properties.TryGetProperty(name, out var value) ? value.GetString() ?? "" : "";
        ImmutableArray<string> Paths(string item) => items.TryGetProperty(item, out var list)
            ? list.EnumerateArray().Select(e => e.GetProperty("FullPath").GetString()!).ToImmutableArray()
            : ImmutableArray<string>.Empty;

        return new CompileModel(
            Property("AssemblyName"),
            Property("OutputType"),
            Property("LangVersion"),
            Property("Nullable"),
            string.Equals(Property("AllowUnsafeBlocks"), "true", StringComparison.OrdinalIgnoreCase),
            Property("DefineConstants").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToImmutableArray(),
            Paths("Compile"),
            Paths("ReferencePath"),
            Paths("Analyzer"),
            Paths("EditorConfigFiles"));
    }

    public ProjectInfo ToProjectInfo()
    {
        var projectId = ProjectId.CreateNewId(AssemblyName);

        // This tool's Roslyn may be older than the SDK's: a LangVersion it does not know yet is read as the newest it
        // knows. The real compiler judges the result afterwards (the check rebuilds the project with dotnet build).
        var languageVersion = LanguageVersionFacts.TryParse(LangVersion, out var parsed) ? parsed : LanguageVersion.Latest;
        var parseOptions = new CSharpParseOptions(languageVersion, preprocessorSymbols: DefineConstants);
        var compilationOptions = new CSharpCompilationOptions(
            OutputType.Equals("Exe", StringComparison.OrdinalIgnoreCase) ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary,
            nullableContextOptions: Nullable.ToLowerInvariant() switch
            {
                "enable" => NullableContextOptions.Enable,
                "warnings" => NullableContextOptions.Warnings,
                "annotations" => NullableContextOptions.Annotations,
                _ => NullableContextOptions.Disable,
            },
            allowUnsafe: AllowUnsafeBlocks);

        return ProjectInfo.Create(
                projectId,
                VersionStamp.Create(),
                AssemblyName,
                AssemblyName,
                LanguageNames.CSharp,
                compilationOptions: compilationOptions,
                parseOptions: parseOptions,
                documents: Sources.Select(path => Document(projectId, path)),
                metadataReferences: References.Select(path => MetadataReference.CreateFromFile(path)))
            .WithAnalyzerConfigDocuments(AnalyzerConfigs.Select(path => Document(projectId, path)));
    }

    private static DocumentInfo Document(ProjectId projectId, string path)
    {
        // Read as the compiler does: the encoding (and a byte order mark) is kept, so the file is written back the same way.
        using var stream = File.OpenRead(path);
        var text = SourceText.From(stream);
        return DocumentInfo.Create(
            DocumentId.CreateNewId(projectId, path),
            Path.GetFileName(path),
            loader: TextLoader.From(TextAndVersion.Create(text, VersionStamp.Create(), path)),
            filePath: path);
    }
}

/// <summary>
/// Loads a package's analyzer assemblies in their own load context: the package's own assemblies come from the package
/// directory, Roslyn and the framework from this host, as in the compiler server and the IDE.
/// </summary>
internal sealed class PackageLoader(string directory) : AssemblyLoadContext(nameof(PackageLoader))
{
    public static (ImmutableArray<DiagnosticAnalyzer> Analyzers, ImmutableArray<CodeFixProvider> Fixers) Load(IReadOnlyList<string> assemblyPaths)
    {
        var context = new PackageLoader(Path.GetDirectoryName(assemblyPaths[0])!);
        var types = assemblyPaths.Select(context.LoadFromAssemblyPath).SelectMany(a => a.GetTypes()).Where(t => !t.IsAbstract).ToArray();
        var analyzers = types
            .Where(t => t.GetCustomAttributes<DiagnosticAnalyzerAttribute>().Any(a => a.Languages.Contains(LanguageNames.CSharp)))
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();
        var fixers = types
            .Where(t => t.GetCustomAttributes<ExportCodeFixProviderAttribute>().Any(a => a.Languages.Contains(LanguageNames.CSharp)))
            .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
            .ToImmutableArray();
        return (analyzers, fixers);
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var candidate = Path.Combine(directory, assemblyName.Name + ".dll");
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }
}
