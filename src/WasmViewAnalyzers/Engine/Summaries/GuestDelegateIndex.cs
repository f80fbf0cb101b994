using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>
/// Answers, for a field, property or parameter of the compilation, whether it holds a delegate
/// bound to a guest function (<c>_convert = instance.GetFunction&lt;int, int&gt;("convert")</c> in a
/// constructor, invoked in another method; <c>Run(instance.GetAction("run"))</c>), and whether a
/// collection holds such delegates (<c>exports["convert"] = ...</c>).
/// </summary>
/// <remarks>
/// <para>
/// The places that can store into a symbol are found by name first, without binding: each syntax
/// tree is walked once, when first needed, and its assignments, field and property initializers,
/// calls and object creations are filed under the name they store into or call. Then, per name,
/// the candidates are bound once and the values they store are filed under the symbol they store
/// into. Every symbol of that name is then answered from the same table, so a family of hosts
/// whose delegate fields share their names costs one pass over those names' stores, not one per
/// field (which made this quadratic in the number of files for non-private fields).
/// </para>
/// <para>
/// A local, a parameter or a private member is only looked for in the trees that can assign it
/// (its own, or those declaring its type); anything else in all trees. Nothing is walked or bound
/// until a method invokes a delegate held in a field, property or parameter.
/// </para>
/// </remarks>
internal sealed class GuestDelegateIndex
{
    private static readonly IReadOnlyList<IOperation> NoValues = System.Array.Empty<IOperation>();
    private static readonly Dictionary<ISymbol, List<IOperation>> EmptyTable = new(SymbolEqualityComparer.Default);

    private readonly WasmViewSemantics _semantics;
    private readonly GuestDelegateSummaries _delegates;
    private readonly HeldValueSummary _holders;
    private readonly HeldValueSummary _containers;
    private readonly ConcurrentDictionary<SyntaxTree, TreeStores> _trees = new();
    private readonly ConcurrentDictionary<StoreKey, Once<Dictionary<ISymbol, List<IOperation>>>> _compilationTables = new();
    private readonly Once<Dictionary<StoreKey, List<SyntaxTree>>> _treesByName = new();

    public GuestDelegateIndex(WasmViewSemantics semantics, GuestDelegateSummaries delegates, SummaryCatalog catalog)
    {
        _semantics = semantics;
        _delegates = delegates;
        _holders = new HeldValueSummary(this, intoContainer: false, catalog);
        _containers = new HeldValueSummary(this, intoContainer: true, catalog);
    }

    private enum StoreKind
    {
        /// <summary>An assignment or initializer storing into the named field, property, parameter or local.</summary>
        Holder,

        /// <summary>An element assignment or a method call on the named collection.</summary>
        Container,

        /// <summary>A call of the named method (or creation of the named type): stores its arguments into the parameters.</summary>
        Call,
    }

    /// <summary>The symbol a storage location expression names: <c>_convert</c>, <c>this.exports</c>, <c>exports</c>.</summary>
    public static ISymbol? GetReferencedSymbol(IOperation operation) => operation.WalkDownConversions() switch
    {
        IFieldReferenceOperation field => field.Field.OriginalDefinition,
        IPropertyReferenceOperation { Property.IsIndexer: false } property => property.Property.OriginalDefinition,
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter.OriginalDefinition,
        _ => null,
    };

    /// <summary>Whether a guest delegate is stored into <paramref name="symbol"/> anywhere in the compilation.</summary>
    public bool Contains(ISymbol symbol, SummarySolver solver) => _holders.Get(symbol, solver);

    /// <summary>Whether guest delegates are stored into the collection <paramref name="symbol"/> anywhere in the compilation.</summary>
    public bool ContainsContainer(ISymbol symbol, SummarySolver solver) => _containers.Get(symbol, solver);

    private bool HoldsGuestDelegate(ISymbol symbol, bool intoContainer, SummarySolver solver)
    {
        foreach (var value in AssignedValues(symbol, intoContainer, solver.CancellationToken))
        {
            if (_delegates.IsGuestDelegateValue(value, captures: null, solver))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every value the compilation stores into <paramref name="symbol"/> (or, for a collection, into its elements).</summary>
    private IEnumerable<IOperation> AssignedValues(ISymbol symbol, bool intoContainer, CancellationToken cancellationToken)
    {
        if (symbol is IParameterSymbol parameter && !intoContainer)
        {
            // step = instance.GetAction<int>("step") inside the method itself.
            foreach (var value in StoredValues(symbol, new StoreKey(StoreKind.Holder, symbol.Name), DeclaringTrees(symbol), cancellationToken))
            {
                yield return value;
            }

            // A parameter receives its arguments: the calls of its method (or creations of its type).
            if (parameter.ContainingSymbol is not IMethodSymbol method)
            {
                yield break;
            }

            var isConstructor = method.MethodKind == MethodKind.Constructor;
            var name = isConstructor ? method.ContainingType.Name : method.Name;
            if (string.IsNullOrEmpty(name))
            {
                yield break;
            }

            var scope = Scope(method);
            foreach (var value in StoredValues(symbol, new StoreKey(StoreKind.Call, name), scope, cancellationToken))
            {
                yield return value;
            }

            if (isConstructor)
            {
                // new(...) names no type.
                foreach (var value in StoredValues(symbol, new StoreKey(StoreKind.Call, string.Empty), scope, cancellationToken))
                {
                    yield return value;
                }
            }

            yield break;
        }

        var key = new StoreKey(intoContainer ? StoreKind.Container : StoreKind.Holder, symbol.Name);
        foreach (var value in StoredValues(symbol, key, Scope(symbol), cancellationToken))
        {
            yield return value;
        }
    }

    /// <summary>The values stored into <paramref name="symbol"/> by the stores filed under <paramref name="key"/>, in <paramref name="scope"/> (all trees when null).</summary>
    private IReadOnlyList<IOperation> StoredValues(ISymbol symbol, StoreKey key, IReadOnlyList<SyntaxTree>? scope, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(key.Name) && key.Kind != StoreKind.Call)
        {
            return NoValues;
        }

        if (scope is null)
        {
            return ValuesOf(CompilationTable(key, cancellationToken), symbol);
        }

        if (scope.Count == 1)
        {
            return ValuesOf(TreeTable(scope[0], key, cancellationToken), symbol);
        }

        var values = new List<IOperation>();
        foreach (var tree in scope)
        {
            values.AddRange(ValuesOf(TreeTable(tree, key, cancellationToken), symbol));
        }

        return values;
    }

    private static IReadOnlyList<IOperation> ValuesOf(Dictionary<ISymbol, List<IOperation>> table, ISymbol symbol)
        => table.TryGetValue(symbol, out var values) ? values : NoValues;

    /// <summary>
    /// Where <paramref name="symbol"/> can be assigned (or, for a method, called): a local or a
    /// parameter only in its own tree, a private member only where its type is declared, anything
    /// else anywhere (<see langword="null"/>).
    /// </summary>
    private IReadOnlyList<SyntaxTree>? Scope(ISymbol symbol)
    {
        if (symbol is ILocalSymbol or IParameterSymbol)
        {
            return DeclaringTrees(symbol);
        }

        // A private member is visible to nested types too; they are declared in the same trees.
        return symbol.DeclaredAccessibility == Accessibility.Private && symbol.ContainingType is { } scope
            ? DeclaringTrees(scope)
            : null;
    }

    private IReadOnlyList<SyntaxTree> DeclaringTrees(ISymbol symbol)
    {
        var trees = new List<SyntaxTree>(1);
        foreach (var reference in symbol.DeclaringSyntaxReferences)
        {
            if (!trees.Contains(reference.SyntaxTree) && _semantics.Compilation.ContainsSyntaxTree(reference.SyntaxTree))
            {
                trees.Add(reference.SyntaxTree);
            }
        }

        return trees;
    }

    // ------------------------------------------------------------------ the tables

    /// <summary>What every tree of the compilation stores under <paramref name="key"/>, by symbol stored into; built once per key.</summary>
    private Dictionary<ISymbol, List<IOperation>> CompilationTable(StoreKey key, CancellationToken cancellationToken)
        => _compilationTables.GetOrAdd(key, static _ => new Once<Dictionary<ISymbol, List<IOperation>>>()).Get(() =>
        {
            var treesByName = _treesByName.Get(() => IndexNames(cancellationToken));
            if (!treesByName.TryGetValue(key, out var trees))
            {
                return EmptyTable;
            }

            var table = new Dictionary<ISymbol, List<IOperation>>(SymbolEqualityComparer.Default);
            foreach (var tree in trees)
            {
                foreach (var entry in TreeTable(tree, key, cancellationToken))
                {
                    if (!table.TryGetValue(entry.Key, out var values))
                    {
                        table.Add(entry.Key, values = new List<IOperation>());
                    }

                    values.AddRange(entry.Value);
                }
            }

            return table;
        });

    /// <summary>For each name, the trees that store into or call something of that name.</summary>
    private Dictionary<StoreKey, List<SyntaxTree>> IndexNames(CancellationToken cancellationToken)
    {
        var result = new Dictionary<StoreKey, List<SyntaxTree>>();
        foreach (var tree in _semantics.Compilation.SyntaxTrees)
        {
            foreach (var key in Stores(tree).Candidates(cancellationToken).Keys)
            {
                if (!result.TryGetValue(key, out var trees))
                {
                    result.Add(key, trees = new List<SyntaxTree>());
                }

                trees.Add(tree);
            }
        }

        return result;
    }

    private Dictionary<ISymbol, List<IOperation>> TreeTable(SyntaxTree tree, StoreKey key, CancellationToken cancellationToken)
        => Stores(tree).Table(key, cancellationToken);

    private TreeStores Stores(SyntaxTree tree)
        => _trees.TryGetValue(tree, out var stores) ? stores : _trees.GetOrAdd(tree, new TreeStores(tree, _semantics.Compilation));

    /// <summary>The stores of one syntax tree: found by name in one walk, bound per name on demand.</summary>
    private sealed class TreeStores
    {
        private readonly SyntaxTree _tree;
        private readonly Compilation _compilation;
        private readonly Once<Dictionary<StoreKey, List<SyntaxNode>>> _candidates = new();
        private readonly ConcurrentDictionary<StoreKey, Once<Dictionary<ISymbol, List<IOperation>>>> _tables = new();

        public TreeStores(SyntaxTree tree, Compilation compilation)
        {
            _tree = tree;
            _compilation = compilation;
        }

        public Dictionary<StoreKey, List<SyntaxNode>> Candidates(CancellationToken cancellationToken)
            => _candidates.Get(() => FindCandidates(_tree.GetRoot(cancellationToken), cancellationToken));

        public Dictionary<ISymbol, List<IOperation>> Table(StoreKey key, CancellationToken cancellationToken)
            => _tables.GetOrAdd(key, static _ => new Once<Dictionary<ISymbol, List<IOperation>>>()).Get(() =>
            {
                if (!Candidates(cancellationToken).TryGetValue(key, out var nodes))
                {
                    return EmptyTable;
                }

#pragma warning disable RS1030 // A delegate stored in a field or passed as an argument may be stored in any tree.
                var model = _compilation.GetSemanticModel(_tree);
#pragma warning restore RS1030
                var table = new Dictionary<ISymbol, List<IOperation>>(SymbolEqualityComparer.Default);
                foreach (var node in nodes)
                {
                    cancellationToken.ThrowIfCancellationRequested();

                    // Field and property initializers are operations on their `= value` clause.
                    var bound = node switch
                    {
                        VariableDeclaratorSyntax { Initializer: { } initializer } => initializer,
                        PropertyDeclarationSyntax { Initializer: { } initializer } => initializer,
                        _ => node,
                    };

                    AddStores(model.GetOperation(bound, cancellationToken), key.Kind, table);
                }

                return table;
            });

        /// <summary>
        /// One walk over the tree, filing every node that can store a delegate under the name it
        /// stores into or calls. Nothing is bound here.
        /// </summary>
        private static Dictionary<StoreKey, List<SyntaxNode>> FindCandidates(SyntaxNode root, CancellationToken cancellationToken)
        {
            var candidates = new Dictionary<StoreKey, List<SyntaxNode>>();
            void Add(StoreKind kind, string? name, SyntaxNode node)
            {
                if (name is null)
                {
                    return;
                }

                var key = new StoreKey(kind, name);
                if (!candidates.TryGetValue(key, out var nodes))
                {
                    candidates.Add(key, nodes = new List<SyntaxNode>());
                }

                nodes.Add(node);
            }

            foreach (var node in root.DescendantNodes())
            {
                switch (node)
                {
                    case AssignmentExpressionSyntax assignment when assignment.IsKind(SyntaxKind.SimpleAssignmentExpression):
                        if (assignment.Left is ElementAccessExpressionSyntax element)
                        {
                            Add(StoreKind.Container, LastName(element.Expression), node);
                        }
                        else
                        {
                            Add(StoreKind.Holder, LastName(assignment.Left), node);
                        }

                        break;

                    case VariableDeclaratorSyntax { Parent.Parent: BaseFieldDeclarationSyntax, Initializer: not null } declarator:
                        Add(StoreKind.Holder, declarator.Identifier.ValueText, node);
                        break;

                    case PropertyDeclarationSyntax { Initializer: not null } property:
                        Add(StoreKind.Holder, property.Identifier.ValueText, node);
                        break;

                    case InvocationExpressionSyntax invocation:
                        cancellationToken.ThrowIfCancellationRequested();
                        Add(StoreKind.Call, LastName(invocation.Expression), node);
                        if (invocation.Expression is MemberAccessExpressionSyntax access)
                        {
                            // exports.Add("convert", instance.GetFunction<int, int>("convert"))
                            Add(StoreKind.Container, LastName(access.Expression), node);
                        }

                        break;

                    case ObjectCreationExpressionSyntax creation:
                        Add(StoreKind.Call, LastName(creation.Type), node);
                        break;

                    case ImplicitObjectCreationExpressionSyntax:
                        Add(StoreKind.Call, string.Empty, node);
                        break;
                }
            }

            return candidates;
        }

        /// <summary>Files what a bound candidate stores under the symbol it stores into.</summary>
        private static void AddStores(IOperation? operation, StoreKind kind, Dictionary<ISymbol, List<IOperation>> table)
        {
            void Add(ISymbol? symbol, IOperation value)
            {
                if (symbol is null)
                {
                    return;
                }

                if (!table.TryGetValue(symbol, out var values))
                {
                    table.Add(symbol, values = new List<IOperation>());
                }

                values.Add(value);
            }

            switch (kind, operation)
            {
                case (StoreKind.Holder, IFieldInitializerOperation initializer):
                    foreach (var field in initializer.InitializedFields)
                    {
                        Add(field.OriginalDefinition, initializer.Value);
                    }

                    break;

                case (StoreKind.Holder, IPropertyInitializerOperation initializer):
                    foreach (var property in initializer.InitializedProperties)
                    {
                        Add(property.OriginalDefinition, initializer.Value);
                    }

                    break;

                case (StoreKind.Holder, ISimpleAssignmentOperation assignment):
                    Add(GetReferencedSymbol(assignment.Target), assignment.Value);
                    break;

                case (StoreKind.Container, ISimpleAssignmentOperation assignment):
                    var container = assignment.Target.WalkDownConversions() switch
                    {
                        IPropertyReferenceOperation { Property.IsIndexer: true, Instance: { } indexed } => indexed,
                        IArrayElementReferenceOperation element => element.ArrayReference,
                        _ => null,
                    };

                    if (container is not null)
                    {
                        Add(GetReferencedSymbol(container), assignment.Value);
                    }

                    break;

                case (StoreKind.Container, IInvocationOperation { Instance: { } receiver } invocation):
                    var receiverSymbol = GetReferencedSymbol(receiver);
                    foreach (var argument in invocation.Arguments)
                    {
                        Add(receiverSymbol, argument.Value);
                    }

                    break;

                case (StoreKind.Call, IInvocationOperation invocation):
                    AddArguments(invocation.Arguments);
                    break;

                case (StoreKind.Call, IObjectCreationOperation creation):
                    AddArguments(creation.Arguments);
                    break;
            }

            void AddArguments(IEnumerable<IArgumentOperation> arguments)
            {
                foreach (var argument in arguments)
                {
                    if (argument.Parameter is { } parameter)
                    {
                        Add(parameter.OriginalDefinition, argument.Value);
                    }
                }
            }
        }

        private static string? LastName(SyntaxNode node) => node switch
        {
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
            GenericNameSyntax generic => generic.Identifier.ValueText,
            MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
            MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax aliased => aliased.Name.Identifier.ValueText,
            _ => null,
        };
    }

    private static bool IsInSource(ISymbol symbol)
        => symbol.Locations.Length > 0 && symbol.Locations[0].IsInSource;

    /// <summary>What a store is filed under: its kind and the name it stores into or calls.</summary>
    private readonly struct StoreKey : System.IEquatable<StoreKey>
    {
        public StoreKey(StoreKind kind, string name)
        {
            Kind = kind;
            Name = name;
        }

        public StoreKind Kind { get; }

        public string Name { get; }

        public bool Equals(StoreKey other) => Kind == other.Kind && string.Equals(Name, other.Name, System.StringComparison.Ordinal);

        public override bool Equals(object? obj) => obj is StoreKey other && Equals(other);

        public override int GetHashCode() => ((int)Kind * 31) ^ System.StringComparer.Ordinal.GetHashCode(Name);
    }

    /// <summary>
    /// A value computed once, by the first thread that asks; the others wait for it. Unlike
    /// <see cref="System.Lazy{T}"/>, a computation that is cancelled or fails is not remembered:
    /// the next caller starts over.
    /// </summary>
    private sealed class Once<T>
        where T : class
    {
        private readonly object _gate = new();
        private T? _value;

        public T Get(System.Func<T> compute)
        {
            var value = Volatile.Read(ref _value);
            if (value is not null)
            {
                return value;
            }

            lock (_gate)
            {
                value = _value;
                if (value is null)
                {
                    value = compute();
                    Volatile.Write(ref _value, value);
                }

                return value;
            }
        }
    }

    /// <summary>Whether a field, property, parameter or collection of the compilation is given a guest delegate.</summary>
    private sealed class HeldValueSummary : Summary<ISymbol, bool>
    {
        private readonly GuestDelegateIndex _index;
        private readonly bool _intoContainer;

        public HeldValueSummary(GuestDelegateIndex index, bool intoContainer, SummaryCatalog catalog)
            : base(catalog, SummaryScheduling.OnDemand)
        {
            _index = index;
            _intoContainer = intoContainer;
        }

        public override bool Bottom => false;

        public override bool Top(ISymbol symbol) => true;

        public override bool Compute(ISymbol symbol, SummarySolver solver) => _index.HoldsGuestDelegate(symbol, _intoContainer, solver);

        protected override bool TryAnswerWithoutSolving(ref ISymbol symbol, out bool answer)
        {
            answer = false;
            return !IsInSource(symbol);
        }
    }
}
