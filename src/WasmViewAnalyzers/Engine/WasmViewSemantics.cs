using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Knowledge;
using WasmViewAnalyzers.Engine.Summaries;

namespace WasmViewAnalyzers.Engine;

/// <summary>Resolves a flow capture of the control-flow graph being analyzed to the values captured into it.</summary>
internal delegate IEnumerable<IOperation> CaptureResolver(CaptureId id);

/// <summary>
/// The engine's vocabulary for one compilation, shared by every rule: what the APIs mean
/// (<see cref="Symbols"/>, <see cref="Types"/>, <see cref="Archives"/>, <see cref="EscapeSinks"/>,
/// <see cref="Configured"/>: the Knowledge room) and the interprocedural summaries of the methods of
/// the compilation (<see cref="GuestCalls"/>, <see cref="ViewSources"/>, <see cref="GuestDelegates"/>,
/// <see cref="Escapes"/>, <see cref="ViewState"/>, <see cref="Captures"/>, <see cref="PureSources"/>: the Summaries room), each
/// computed for what a question reaches and no more.
/// </summary>
internal sealed class WasmViewSemantics
{
    private readonly SummaryCatalog _catalog = new();
    private readonly BottomUpScheduler _scheduler;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<IPropertySymbol, IFieldSymbol?> _backingFields = new(SymbolEqualityComparer.Default);
    private ArchiveWriters? _archives;
    private EscapeSinks? _escapeSinks;
    private RefArgumentStores? _refArgumentStores;
    private StreamParameterWrites? _streamParameterWrites;

    private WasmViewSemantics(WasmSymbols symbols, WasmViewOptions options)
    {
        Symbols = symbols;
        Types = new ViewTypeClassifier(symbols);
        Configured = new ConfiguredMembers(options, symbols.Compilation);
        Bodies = new SourceBodies(symbols.Compilation);
        CallGraph = new SourceCallGraph(this);

        // The bottom-up kinds are prepared in this order for every reachable method.
        GuestCalls = new GuestCallSummaries(this, _catalog);
        GuestDelegates = new GuestDelegateSummaries(this, _catalog);
        ViewSources = new ViewSourceSummaries(this, _catalog);
        Escapes = new EscapeSummaries(this, _catalog);
        ViewState = new ViewStateSummaries(this, _catalog);
        InputReads = new InputReadSummaries(this, _catalog);
        Iterators = new Iterators(this);
        Captures = new CapturedVariables(this);
        PureSources = new PureSourceSummaries(this, _catalog);
        _scheduler = new BottomUpScheduler(CallGraph, _catalog);
    }

    public WasmSymbols Symbols { get; }

    public Compilation Compilation => Symbols.Compilation;

    public ViewTypeClassifier Types { get; }

    /// <summary>The wrappers the host names in <c>.editorconfig</c>.</summary>
    public ConfiguredMembers Configured { get; }

    public WasmViewOptions Options => Configured.Options;

    // These tables are read for nearly every operation the flow analysis evaluates: the field is read
    // first because the factory is a closure, allocated on every call that reaches EnsureInitialized.

    /// <summary>The archive and compression writers the compilation references (WVA003, WVA004).</summary>
    public ArchiveWriters Archives => Volatile.Read(ref _archives) ?? LazyInitializer.EnsureInitialized(ref _archives, () => new ArchiveWriters(this))!;

    /// <summary>The APIs that keep what they are given (WVA002).</summary>
    public EscapeSinks EscapeSinks => Volatile.Read(ref _escapeSinks) ?? LazyInitializer.EnsureInitialized(ref _escapeSinks, () => new EscapeSinks(Compilation, Configured.IsEscapeSink))!;

    /// <summary>The BCL members that store an argument through a <c>ref</c> argument (<c>Interlocked.Exchange</c>, <c>Volatile.Write</c>).</summary>
    public RefArgumentStores RefArgumentStores => Volatile.Read(ref _refArgumentStores) ?? LazyInitializer.EnsureInitialized(ref _refArgumentStores, () => new RefArgumentStores(Compilation))!;

    /// <summary>Which parameters the helpers of the compilation write into which of their <c>Stream</c> parameters (WVA004 at the call).</summary>
    public StreamParameterWrites StreamParameterWrites => Volatile.Read(ref _streamParameterWrites) ?? LazyInitializer.EnsureInitialized(ref _streamParameterWrites, () => new StreamParameterWrites(this))!;

    public SourceBodies Bodies { get; }

    public SourceCallGraph CallGraph { get; }

    public GuestCallSummaries GuestCalls { get; }

    public GuestDelegateSummaries GuestDelegates { get; }

    public ViewSourceSummaries ViewSources { get; }

    public EscapeSummaries Escapes { get; }

    public ViewStateSummaries ViewState { get; }

    /// <summary>Which of their inputs (parameters, captured variables, fields of their object) the methods of the compilation read through.</summary>
    public InputReadSummaries InputReads { get; }

    /// <summary>The iterators of the compilation, whose bodies run while their sequences are enumerated.</summary>
    public Iterators Iterators { get; }

    public CapturedVariables Captures { get; }

    /// <summary>Whether a view's source can be evaluated again with the same meaning (asked by the code fixes only).</summary>
    public PureSourceSummaries PureSources { get; }

    /// <summary>
    /// Whether a call on a collection of views stores the argument into it (<c>queue.Enqueue(view)</c>)
    /// rather than reading it: one of the storing calls of <see cref="EscapeSinks"/>, WVA002's table.
    /// </summary>
    public bool IsStorageIntoCollection(IInvocationOperation invocation)
        => invocation.Instance is { } receiver
           && Types.IsCollectionOfViews(receiver.Type)
           && EscapeSinks.IsStoringCall(invocation.TargetMethod);

    /// <summary>
    /// The field behind an auto-property of the compilation (<c>public nint Current { get; set; }</c>),
    /// or <see langword="null"/>: reading and writing the property is reading and writing that field.
    /// </summary>
    public IFieldSymbol? BackingFieldOf(IPropertySymbol property)
        => property.IsIndexer || !IsDeclaredInSource(property)
            ? null
            : _backingFields.GetOrAdd(property.OriginalDefinition, FindBackingField);

    private static IFieldSymbol? FindBackingField(IPropertySymbol property)
    {
        foreach (var member in property.ContainingType.GetMembers())
        {
            if (member is IFieldSymbol field && SymbolEqualityComparer.Default.Equals(field.AssociatedSymbol, property))
            {
                return field;
            }
        }

        return null;
    }

    /// <summary>Returns <see langword="null"/> for compilations that do not reference Wasmtime.</summary>
    public static WasmViewSemantics? TryCreate(Compilation compilation, WasmViewOptions options)
        => WasmSymbols.TryCreate(compilation) is { } symbols ? new WasmViewSemantics(symbols, options) : null;

    /// <summary>Returns <see langword="null"/> for compilations that do not reference Wasmtime.</summary>
    public static WasmViewSemantics? TryCreate(Compilation compilation) => TryCreate(compilation, WasmViewOptions.Empty);

    /// <summary>A new chain of summary questions, which summarizes callees before callers.</summary>
    public SummarySolver NewSolver(CancellationToken cancellationToken) => new(_scheduler, cancellationToken);

    /// <summary>Whether <paramref name="symbol"/> is declared in this compilation's source.</summary>
    public bool IsDeclaredInSource(ISymbol symbol)
        => symbol.Locations.Length > 0
           && symbol.Locations[0].IsInSource
           && symbol.Locations[0].SourceTree is { } tree
           && Compilation.ContainsSyntaxTree(tree);

    /// <summary>Whether <paramref name="method"/> has a body in this compilation, and the symbol its summaries are kept under.</summary>
    public bool IsSourceMethod(IMethodSymbol method, out IMethodSymbol normalized)
    {
        normalized = method.PartialImplementationPart ?? method;
        normalized = normalized.ReducedFrom ?? normalized.OriginalDefinition;
        return IsDeclaredInSource(normalized);
    }

    /// <summary>
    /// For a summary over methods: answers (with <see langword="false"/>: nothing found) a method
    /// without a body in this compilation, and keeps the others under their normalized symbol.
    /// </summary>
    public bool AnswerOutsideSource(ref IMethodSymbol method, out bool answer)
    {
        answer = false;
        return !IsSourceMethod(method, out method);
    }

    /// <summary>How a message names a member: <c>Type.Member</c>, or a local function's own name.</summary>
    public static string Describe(ISymbol symbol)
        => symbol.ContainingType is { } type && symbol is not IMethodSymbol { MethodKind: MethodKind.LocalFunction }
            ? type.Name + "." + symbol.Name
            : symbol.Name;

    public static bool IsAssignmentTarget(IOperation operation)
        => operation.Parent is IAssignmentOperation assignment && assignment.Target == operation;
}
