using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>
/// Answers, for a field, property or parameter of the compilation, whether it holds a delegate
/// bound to a guest function (<c>_convert = instance.GetFunction&lt;int, int&gt;("convert")</c> in a
/// constructor, invoked in another method; <c>Run(instance.GetAction("run"))</c>), and whether a
/// collection holds such delegates (<c>exports["convert"] = ...</c>).
/// </summary>
/// <remarks>
/// <para>
/// The work follows the question. The places that can store into a symbol are found by name,
/// without binding: each syntax tree is walked once for its candidate stores (assignments, field
/// and property initializers, calls, object creations), and that walk is kept with the tree
/// itself, so a new compilation after an edit walks only the edited tree again. Then only the
/// candidates that C#'s rules let store into that very symbol are bound, one by one:
/// </para>
/// <list type="bullet">
/// <item>a <c>readonly</c> field, a get-only property, a property with a private setter, any
/// private member, a local or a parameter: only candidates inside the declarations of its type
/// (or its method);</item>
/// <item>an instance member named without a receiver (<c>Alloc = ...</c>, <c>this.Alloc = ...</c>,
/// <c>Apply(...)</c>): only candidates in a type that is, or derives from, the member's type;</item>
/// <item>anything else (<c>host.Alloc = ...</c>, object initializers, static members): every
/// candidate of that name.</item>
/// </list>
/// <para>
/// Binding a candidate binds the member body around it, so a family of hosts whose delegate
/// fields share their names no longer binds every host to answer for one.
/// </para>
/// </remarks>
internal sealed class GuestDelegateIndex
{
    /// <summary>The candidate stores of each syntax tree, by name: pure syntax, valid in every compilation that holds the tree.</summary>
    private static readonly ConditionalWeakTable<SyntaxTree, TreeCandidates> CandidatesByTree = new();

    private readonly WasmViewSemantics _semantics;
    private readonly GuestDelegateSummaries _delegates;
    private readonly MaySummary<ISymbol> _holders;
    private readonly MaySummary<ISymbol> _containers;
    private readonly ConcurrentDictionary<(SyntaxNode Node, StoreKind Kind), IReadOnlyList<Store>> _bound = new();
    private readonly ConcurrentDictionary<TypeDeclarationSyntax, INamedTypeSymbol?> _declaredTypes = new();
    private readonly ConcurrentDictionary<StoreKey, IReadOnlyList<SyntaxTree>> _treesByName = new();
    private readonly ConcurrentDictionary<StoreKey, NameStores> _storesByName = new();

    public GuestDelegateIndex(WasmViewSemantics semantics, GuestDelegateSummaries delegates, SummaryCatalog catalog)
    {
        _semantics = semantics;
        _delegates = delegates;
        _holders = new MaySummary<ISymbol>(catalog, SummaryScheduling.OnDemand, (symbol, solver) => HoldsGuestDelegate(symbol, intoContainer: false, solver), AnswerOutsideSource);
        _containers = new MaySummary<ISymbol>(catalog, SummaryScheduling.OnDemand, (symbol, solver) => HoldsGuestDelegate(symbol, intoContainer: true, solver), AnswerOutsideSource);
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

    private Compilation Compilation => _semantics.Compilation;

    /// <summary>The trees in which a candidate store has been bound so far (for tests: the work follows the question).</summary>
    internal IEnumerable<SyntaxTree> TreesBound => _bound.Keys.Select(key => key.Node.SyntaxTree).Distinct();

    /// <summary>The symbol a storage location expression names: <c>_convert</c>, <c>this.exports</c>, <c>exports</c>.</summary>
    public static ISymbol? GetReferencedSymbol(IOperation? operation) => operation?.WalkDownConversions() switch
    {
        IFieldReferenceOperation field => field.Field.OriginalDefinition,
        IPropertyReferenceOperation { Property.IsIndexer: false } property => property.Property.OriginalDefinition,
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter.OriginalDefinition,
        IEventReferenceOperation @event => @event.Event.OriginalDefinition,
        _ => null,
    };

    /// <summary>Whether a guest delegate is stored into <paramref name="symbol"/> anywhere in the compilation.</summary>
    public bool Contains(ISymbol symbol, SummarySolver solver) => _holders.Get(symbol, solver);

    /// <summary>Whether guest delegates are stored into the collection <paramref name="symbol"/> anywhere in the compilation.</summary>
    public bool ContainsContainer(ISymbol symbol, SummarySolver solver) => _containers.Get(symbol, solver);

    /// <summary>
    /// Every value the compilation stores into the field or property <paramref name="member"/>
    /// (assignments, initializers), found the way the holders of guest delegates are: for other
    /// questions about what a member holds (a compressor in a <c>Stream</c> field).
    /// </summary>
    public IEnumerable<IOperation> StoredValuesOf(ISymbol member, CancellationToken cancellationToken)
        => AssignedValues(member.OriginalDefinition, intoContainer: false, cancellationToken);

    private bool HoldsGuestDelegate(ISymbol symbol, bool intoContainer, SummarySolver solver)
    {
        foreach (var value in AssignedValues(symbol, intoContainer, solver.CancellationToken))
        {
            if (_delegates.IsGuestDelegateValue(value, captures: null, solver))
            {
                return true;
            }
        }

        if (intoContainer)
        {
            // A collection filled where it is created: _steps = new[] { instance.GetAction<int>("step") },
            // new Dictionary<string, Action<int>> { ["step"] = ... }, a collection expression.
            var created = symbol is ILocalSymbol local
                ? _delegates.FindAssignedValues(local, solver)
                : AssignedValues(symbol, intoContainer: false, solver.CancellationToken);
            foreach (var collection in created)
            {
                foreach (var element in CreatedElements(collection))
                {
                    if (_delegates.IsGuestDelegateValue(element, captures: null, solver))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The values a collection holds from its creation: an array's initializer, a collection
    /// initializer's <c>Add</c> arguments (<c>{ a }</c>, <c>{ { "step", a } }</c>), a dictionary
    /// initializer's entries (<c>["step"] = a</c>), a collection expression's elements.
    /// </summary>
    private static IEnumerable<IOperation> CreatedElements(IOperation collection)
    {
        switch (collection.WalkDownConversions())
        {
            case IArrayCreationOperation { Initializer: { } initializer }:
                return initializer.ElementValues;

            case IObjectCreationOperation { Initializer: { } initializer }:
                var values = new List<IOperation>();
                foreach (var element in initializer.Initializers)
                {
                    switch (element)
                    {
                        case IInvocationOperation add:
                            values.AddRange(add.Arguments.Select(argument => argument.Value));
                            break;

                        case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.IsIndexer: true } } entry:
                            values.Add(entry.Value);
                            break;
                    }
                }

                return values;

            case { Kind: Flow.OperationRoles.CollectionExpression } expression:
                return expression.ChildOperations;

            default:
                return Enumerable.Empty<IOperation>();
        }
    }

    /// <summary>Every value the compilation stores into <paramref name="symbol"/> (or, for a collection, into its elements).</summary>
    private IEnumerable<IOperation> AssignedValues(ISymbol symbol, bool intoContainer, CancellationToken cancellationToken)
    {
        if (symbol is IParameterSymbol parameter && !intoContainer)
        {
            // step = instance.GetAction<int>("step") inside the method itself.
            foreach (var value in StoredValues(symbol, new StoreKey(StoreKind.Holder, symbol.Name), Within(parameter.ContainingSymbol), cancellationToken))
            {
                yield return value;
            }

            // A parameter receives its arguments: the calls of its method (or creations of its type).
            if (parameter.ContainingSymbol is not IMethodSymbol method)
            {
                yield break;
            }

            if (method.MethodKind is MethodKind.EventAdd or MethodKind.PropertySet && method.AssociatedSymbol is { } member)
            {
                // add => _changed += value; set => _flush = value: the accessor's value is whatever
                // is subscribed to the event (Changed += handler) or assigned to the property.
                var memberDefinition = member.OriginalDefinition;
                foreach (var value in StoredValues(memberDefinition, new StoreKey(StoreKind.Holder, memberDefinition.Name), StoreScope(memberDefinition), cancellationToken))
                {
                    yield return value;
                }

                yield break;
            }

            var isConstructor = method.MethodKind == MethodKind.Constructor;
            var name = isConstructor ? method.ContainingType.Name : method.Name;
            if (string.IsNullOrEmpty(name))
            {
                yield break;
            }

            var scope = CallScope(method);
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
        foreach (var value in StoredValues(symbol, key, StoreScope(symbol), cancellationToken))
        {
            yield return value;
        }
    }

    /// <summary>The values stored into <paramref name="symbol"/> by the candidates filed under <paramref name="key"/> that <paramref name="scope"/> admits.</summary>
    private List<IOperation> StoredValues(ISymbol symbol, StoreKey key, Scope scope, CancellationToken cancellationToken)
    {
        var values = new List<IOperation>();
        if (string.IsNullOrEmpty(key.Name) && key.Kind != StoreKind.Call)
        {
            return values;
        }

        if (scope.Trees is null)
        {
            // Every symbol of the name asks about the same candidates: one pass per name.
            _storesByName.GetOrAdd(key, k => new NameStores(k)).AddValues(symbol, scope.ReceiverType, this, values, cancellationToken);
            return values;
        }

        foreach (var tree in scope.Trees)
        {
            if (!Candidates(tree, cancellationToken).TryGetValue(key, out var candidates))
            {
                continue;
            }

            foreach (var candidate in candidates)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (scope.Admits(candidate, tree, this, cancellationToken))
                {
                    AddStoredValues(symbol, candidate, key.Kind, values, cancellationToken);
                }
            }
        }

        return values;
    }

    // ------------------------------------------------------------------ where a symbol can be stored into

    /// <summary>Where an assignment can store into <paramref name="symbol"/>, by C#'s rules of access.</summary>
    private Scope StoreScope(ISymbol symbol)
    {
        switch (symbol)
        {
            case ILocalSymbol or IParameterSymbol:
                return Within(symbol.ContainingSymbol);

            case IFieldSymbol { IsReadOnly: true } or IFieldSymbol { IsConst: true }:
                // Only the constructors and initializers of its own type.
                return Within(symbol.ContainingType);

            case IPropertySymbol { SetMethod: null }:
                // A get-only property: likewise.
                return Within(symbol.ContainingType);

            case IPropertySymbol { SetMethod: { IsInitOnly: false, DeclaredAccessibility: Accessibility.Private } }:
                return Within(symbol.ContainingType);

            case IPropertySymbol { SetMethod.IsInitOnly: true }:
                // init: object initializers and `with` anywhere.
                return Scope.Anywhere(receiverType: null);
        }

        // A private member is visible to nested types too; they are declared within its type.
        if (symbol.DeclaredAccessibility == Accessibility.Private && symbol.ContainingType is { } type)
        {
            return Within(type);
        }

        return Scope.Anywhere(symbol.IsStatic ? null : symbol.ContainingType);
    }

    /// <summary>Where <paramref name="method"/> can be called with arguments for its parameters.</summary>
    private Scope CallScope(IMethodSymbol method)
    {
        if (method.MethodKind is MethodKind.LocalFunction or MethodKind.AnonymousFunction)
        {
            return Within(method.ContainingSymbol);
        }

        if (method.DeclaredAccessibility == Accessibility.Private && method.ContainingType is { } type)
        {
            return Within(type);
        }

        // An unqualified call names a method of the calling type or of a type it derives from.
        return Scope.Anywhere(method.IsStatic || method.MethodKind == MethodKind.Constructor ? null : method.ContainingType);
    }

    /// <summary>Only the declarations of <paramref name="container"/> (a type, with its nested types, or a method).</summary>
    private Scope Within(ISymbol container)
    {
        var spans = new List<(SyntaxTree Tree, TextSpan Span)>();
        var trees = new List<SyntaxTree>(1);
        foreach (var reference in container.DeclaringSyntaxReferences)
        {
            if (!Compilation.ContainsSyntaxTree(reference.SyntaxTree))
            {
                continue;
            }

            spans.Add((reference.SyntaxTree, reference.Span));
            if (!trees.Contains(reference.SyntaxTree))
            {
                trees.Add(reference.SyntaxTree);
            }
        }

        return new Scope(trees, spans, receiverType: null);
    }

    /// <summary>The values <paramref name="candidate"/> stores into <paramref name="symbol"/>.</summary>
    private void AddStoredValues(ISymbol symbol, Candidate candidate, StoreKind kind, List<IOperation> values, CancellationToken cancellationToken)
    {
        foreach (var store in Bind(candidate.Node, kind, cancellationToken))
        {
            if (SymbolEqualityComparer.Default.Equals(store.Target, symbol))
            {
                values.Add(store.Value);
            }
        }
    }

    /// <summary>The trees that have a candidate filed under <paramref name="key"/>: a look-up in each tree's kept candidates, per name asked.</summary>
    private IReadOnlyList<SyntaxTree> TreesNaming(StoreKey key, CancellationToken cancellationToken)
    {
        if (_treesByName.TryGetValue(key, out var named))
        {
            return named;
        }

        var trees = new List<SyntaxTree>();
        foreach (var tree in Compilation.SyntaxTrees)
        {
            if (Candidates(tree, cancellationToken).ContainsKey(key))
            {
                trees.Add(tree);
            }
        }

        return _treesByName.GetOrAdd(key, trees);
    }

    /// <summary>The type <paramref name="declaration"/> declares (declarations only: no body is bound).</summary>
    private INamedTypeSymbol? DeclaredType(TypeDeclarationSyntax declaration, SyntaxTree tree, CancellationToken cancellationToken)
        => _declaredTypes.GetOrAdd(declaration, d =>
        {
#pragma warning disable RS1030 // Which type a candidate store is declared in, anywhere in the compilation.
            var model = Compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
            return model.GetDeclaredSymbol(d, cancellationToken) as INamedTypeSymbol;
        });

    private static Dictionary<StoreKey, List<Candidate>> Candidates(SyntaxTree tree, CancellationToken cancellationToken)
        => CandidatesByTree.GetValue(tree, static t => new TreeCandidates(t)).Get(cancellationToken);

    // ------------------------------------------------------------------ binding one candidate

    /// <summary>What a candidate stores, and into which symbol: bound once per compilation, when a question first admits it.</summary>
    private IReadOnlyList<Store> Bind(SyntaxNode node, StoreKind kind, CancellationToken cancellationToken)
    {
        if (_bound.TryGetValue((node, kind), out var stores))
        {
            return stores;
        }

#pragma warning disable RS1030 // A delegate stored in a field or passed as an argument may be stored in any tree.
        var model = Compilation.GetSemanticModel(node.SyntaxTree);
#pragma warning restore RS1030

        // Field and property initializers are operations on their `= value` clause.
        var bound = node switch
        {
            VariableDeclaratorSyntax { Initializer: { } initializer } => initializer,
            PropertyDeclarationSyntax { Initializer: { } initializer } => initializer,
            _ => node,
        };

        var result = new List<Store>();
        AddStores(model.GetOperation(bound, cancellationToken), kind, result);
        return _bound.GetOrAdd((node, kind), result);
    }

    /// <summary>Files what a bound candidate stores under the symbol it stores into.</summary>
    private void AddStores(IOperation? operation, StoreKind kind, List<Store> stores)
    {
        void Add(ISymbol? symbol, IOperation value)
        {
            if (symbol is not null)
            {
                stores.Add(new Store(symbol, value));
            }
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

            case (StoreKind.Holder, ICoalesceAssignmentOperation coalesce):
                // _tick ??= instance.GetFunction<float, int>("tick"): a lazily cached export.
                Add(GetReferencedSymbol(coalesce.Target), coalesce.Value);
                break;

            case (StoreKind.Holder, IDeconstructionAssignmentOperation deconstruction):
                // (_convert, _reset) = (instance.GetFunction<int, int>("convert"), instance.GetAction("reset")).
                AddDeconstructed(deconstruction.Target, deconstruction.Value);
                break;

            case (StoreKind.Holder, IInvocationOperation invocation):
                AddByReference(invocation);
                break;

            case (StoreKind.Holder, IEventAssignmentOperation { Adds: true } subscription):
                Add(GetReferencedSymbol(subscription.EventReference), subscription.HandlerValue);
                break;

            case (StoreKind.Holder, ICompoundAssignmentOperation combination) when combination.Target.Type?.TypeKind == TypeKind.Delegate:
                Add(GetReferencedSymbol(combination.Target), combination.Value);
                break;

            case (StoreKind.Container, IAssignmentOperation assignment) when assignment is ISimpleAssignmentOperation or ICoalesceAssignmentOperation:
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

        void AddDeconstructed(IOperation target, IOperation value)
        {
            if (target is ITupleOperation targets)
            {
                // Element by element where the value is a tuple written out; a Deconstruct
                // method's outputs are not followed.
                if (value.WalkDownConversions() is ITupleOperation values && values.Elements.Length == targets.Elements.Length)
                {
                    for (var i = 0; i < targets.Elements.Length; i++)
                    {
                        AddDeconstructed(targets.Elements[i], values.Elements[i]);
                    }
                }

                return;
            }

            Add(GetReferencedSymbol(target), value);
        }

        // A location passed by ref or out is stored into by the call: Interlocked.Exchange(ref _run, run),
        // LazyInitializer.EnsureInitialized(ref _run, () => instance.GetAction("run")!), Bind(out _run).
        void AddByReference(IInvocationOperation invocation)
        {
            var method = invocation.TargetMethod;
            if (_semantics.RefArgumentStores.TryGetStore(method, out var location, out var value))
            {
                if (GetReferencedSymbol(invocation.ArgumentFor(location)) is { } target && invocation.ArgumentFor(value) is { } stored)
                {
                    Add(target, stored);
                }

                return;
            }

            if (_semantics.RefArgumentStores.TryGetFactoryStore(method, out location, out var factoryOrdinal))
            {
                if (GetReferencedSymbol(invocation.ArgumentFor(location)) is { } target
                    && invocation.ArgumentFor(factoryOrdinal) is IDelegateCreationOperation { Target: IAnonymousFunctionOperation factory })
                {
                    foreach (var operation in factory.Body.DescendantsAndSelf())
                    {
                        if (operation is IReturnOperation { ReturnedValue: { } returned })
                        {
                            Add(target, returned);
                        }
                    }
                }

                return;
            }

            if (method.Locations.Length == 0 || !method.Locations[0].IsInSource)
            {
                return;
            }

            // The user's own method stores into its parameter: the location holds what the parameter holds.
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter is { RefKind: RefKind.Ref or RefKind.Out } && GetReferencedSymbol(argument.Value) is { } target)
                {
                    Add(target, argument);
                }
            }
        }

        void AddArguments(IEnumerable<IArgumentOperation> arguments)
        {
            foreach (var argument in arguments)
            {
                // An out argument gives the parameter nothing: the call stores into the argument instead.
                if (argument.Parameter is { RefKind: not RefKind.Out } parameter)
                {
                    Add(parameter.OriginalDefinition, argument.Value);
                }
            }
        }
    }

    private static bool AnswerOutsideSource(ref ISymbol symbol, out bool answer)
    {
        answer = false;
        return symbol.Locations.Length == 0 || !symbol.Locations[0].IsInSource;
    }

    /// <summary>A value stored into a symbol.</summary>
    private readonly struct Store
    {
        public Store(ISymbol target, IOperation value)
        {
            Target = target;
            Value = value;
        }

        public ISymbol Target { get; }

        public IOperation Value { get; }
    }

    /// <summary>
    /// A place that may store under a name. <see cref="Unqualified"/>: the name is used without a
    /// receiver (<c>Alloc = ...</c>, <c>this.Alloc = ...</c>, <c>Apply(...)</c>), so it can only
    /// name a member of the enclosing type, of a type it derives from, a static member or a local.
    /// </summary>
    private readonly struct Candidate
    {
        public Candidate(SyntaxNode node, bool unqualified)
        {
            Node = node;
            Unqualified = unqualified;
        }

        public SyntaxNode Node { get; }

        public bool Unqualified { get; }
    }

    /// <summary>Which candidates can store into one symbol.</summary>
    private sealed class Scope
    {
        private readonly List<(SyntaxTree Tree, TextSpan Span)>? _spans;
        private readonly INamedTypeSymbol? _receiverType;

        public Scope(IReadOnlyList<SyntaxTree>? trees, List<(SyntaxTree Tree, TextSpan Span)>? spans, INamedTypeSymbol? receiverType)
        {
            Trees = trees;
            _spans = spans;
            _receiverType = receiverType;
        }

        /// <summary>The trees to look in; <see langword="null"/>: every tree that has a candidate of the name.</summary>
        public IReadOnlyList<SyntaxTree>? Trees { get; }

        /// <summary>For a scope of every tree: the type an unqualified candidate must be in (or derive from); <see langword="null"/>: any.</summary>
        public INamedTypeSymbol? ReceiverType => _receiverType;

        /// <summary>Every candidate of the name, in any tree; an unqualified one only inside <paramref name="receiverType"/> or a type derived from it.</summary>
        public static Scope Anywhere(INamedTypeSymbol? receiverType) => new(trees: null, spans: null, receiverType);

        public bool Admits(Candidate candidate, SyntaxTree tree, GuestDelegateIndex index, CancellationToken cancellationToken)
        {
            if (_spans is not null)
            {
                foreach (var (spanTree, span) in _spans)
                {
                    if (spanTree == tree && span.Contains(candidate.Node.Span))
                    {
                        return true;
                    }
                }

                return false;
            }

            if (_receiverType is null || !candidate.Unqualified)
            {
                return true;
            }

            var declaration = candidate.Node.FirstAncestorOrSelf<TypeDeclarationSyntax>();
            if (declaration is null || !MayBeOrDeriveFrom(declaration, _receiverType))
            {
                return false;
            }

            for (var type = index.DeclaredType(declaration, tree, cancellationToken); type is not null; type = type.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, _receiverType.OriginalDefinition))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// The candidates of one name in every tree, sorted once for the scopes that look everywhere
    /// (a non-private member's stores, a public method's calls), so that asking about each of the
    /// symbols of that name (the same member of a hundred look-alike types) costs a look-up, not a
    /// pass over every candidate of the compilation. The same candidates are bound as before.
    /// </summary>
    private sealed class NameStores
    {
        private readonly StoreKey _key;
        private readonly Once<Sorted> _sorted = new();
        private readonly Once<Dictionary<ISymbol, List<IOperation>>> _qualifiedValues = new();
        private readonly Once<Dictionary<ISymbol, List<IOperation>>> _allValues = new();

        public NameStores(StoreKey key)
        {
            _key = key;
        }

        /// <summary>Adds what the candidates a scope of every tree admits store into <paramref name="symbol"/>.</summary>
        public void AddValues(ISymbol symbol, INamedTypeSymbol? receiverType, GuestDelegateIndex index, List<IOperation> values, CancellationToken cancellationToken)
        {
            if (receiverType is null)
            {
                // Every candidate is admitted.
                AddFiled(_allValues.Get(() => File(Sort(index, cancellationToken).All, index, cancellationToken)), symbol, values);
                return;
            }

            var sorted = Sort(index, cancellationToken);
            AddFiled(_qualifiedValues.Get(() => File(sorted.Qualified, index, cancellationToken)), symbol, values);

            // An unqualified candidate in a type of another name that derives from nothing cannot
            // reach the receiver type's members; the others are asked one by one.
            var scope = Scope.Anywhere(receiverType);
            if (sorted.UnqualifiedBySimpleType.TryGetValue(receiverType.Name, out var sameName))
            {
                AddAdmitted(sameName, symbol, scope, index, values, cancellationToken);
            }

            AddAdmitted(sorted.UnqualifiedElsewhere, symbol, scope, index, values, cancellationToken);
        }

        private void AddAdmitted(List<(SyntaxTree Tree, Candidate Candidate)> candidates, ISymbol symbol, Scope scope, GuestDelegateIndex index, List<IOperation> values, CancellationToken cancellationToken)
        {
            foreach (var (tree, candidate) in candidates)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (scope.Admits(candidate, tree, index, cancellationToken))
                {
                    index.AddStoredValues(symbol, candidate, _key.Kind, values, cancellationToken);
                }
            }
        }

        private static void AddFiled(Dictionary<ISymbol, List<IOperation>> filed, ISymbol symbol, List<IOperation> values)
        {
            if (filed.TryGetValue(symbol, out var stored))
            {
                values.AddRange(stored);
            }
        }

        /// <summary>Binds each candidate once and files what it stores under the symbol it stores into.</summary>
        private Dictionary<ISymbol, List<IOperation>> File(List<(SyntaxTree Tree, Candidate Candidate)> candidates, GuestDelegateIndex index, CancellationToken cancellationToken)
        {
            var filed = new Dictionary<ISymbol, List<IOperation>>(SymbolEqualityComparer.Default);
            foreach (var (_, candidate) in candidates)
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var store in index.Bind(candidate.Node, _key.Kind, cancellationToken))
                {
                    if (!filed.TryGetValue(store.Target, out var stored))
                    {
                        filed.Add(store.Target, stored = new List<IOperation>());
                    }

                    stored.Add(store.Value);
                }
            }

            return filed;
        }

        private Sorted Sort(GuestDelegateIndex index, CancellationToken cancellationToken)
            => _sorted.Get(() =>
            {
                var sorted = new Sorted();
                foreach (var tree in index.TreesNaming(_key, cancellationToken))
                {
                    foreach (var candidate in Candidates(tree, cancellationToken)[_key])
                    {
                        sorted.All.Add((tree, candidate));
                        if (!candidate.Unqualified)
                        {
                            sorted.Qualified.Add((tree, candidate));
                        }
                        else if (candidate.Node.FirstAncestorOrSelf<TypeDeclarationSyntax>() is { } declaration)
                        {
                            if (declaration.BaseList is null && !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                            {
                                var name = declaration.Identifier.ValueText;
                                if (!sorted.UnqualifiedBySimpleType.TryGetValue(name, out var list))
                                {
                                    sorted.UnqualifiedBySimpleType.Add(name, list = new List<(SyntaxTree, Candidate)>());
                                }

                                list.Add((tree, candidate));
                            }
                            else
                            {
                                sorted.UnqualifiedElsewhere.Add((tree, candidate));
                            }
                        }
                    }
                }

                return sorted;
            });

        private sealed class Sorted
        {
            public List<(SyntaxTree Tree, Candidate Candidate)> All { get; } = new();

            public List<(SyntaxTree Tree, Candidate Candidate)> Qualified { get; } = new();

            /// <summary>Unqualified candidates in a type with no base list, declared in one part: by that type's name.</summary>
            public Dictionary<string, List<(SyntaxTree Tree, Candidate Candidate)>> UnqualifiedBySimpleType { get; } = new(System.StringComparer.Ordinal);

            public List<(SyntaxTree Tree, Candidate Candidate)> UnqualifiedElsewhere { get; } = new();
        }
    }

    /// <summary>
    /// Whether the type <paramref name="declaration"/> declares can be <paramref name="type"/> or derive
    /// from it, as far as its syntax tells: a type of another name with no base list, declared in
    /// one part, derives from nothing of the compilation.
    /// </summary>
    private static bool MayBeOrDeriveFrom(TypeDeclarationSyntax declaration, INamedTypeSymbol type)
        => declaration.Identifier.ValueText == type.Name
           || declaration.BaseList is not null
           || declaration.Modifiers.Any(SyntaxKind.PartialKeyword);

    /// <summary>The candidate stores of one syntax tree, filed by name in one walk; nothing is bound here.</summary>
    private sealed class TreeCandidates
    {
        private readonly SyntaxTree _tree;
        private readonly Once<Dictionary<StoreKey, List<Candidate>>> _candidates = new();

        public TreeCandidates(SyntaxTree tree)
        {
            _tree = tree;
        }

        public Dictionary<StoreKey, List<Candidate>> Get(CancellationToken cancellationToken)
            => _candidates.Get(() => Find(_tree.GetRoot(cancellationToken), cancellationToken));

        private static Dictionary<StoreKey, List<Candidate>> Find(SyntaxNode root, CancellationToken cancellationToken)
        {
            var candidates = new Dictionary<StoreKey, List<Candidate>>();
            void Add(StoreKind kind, string? name, SyntaxNode node, bool unqualified)
            {
                if (name is null)
                {
                    return;
                }

                var key = new StoreKey(kind, name);
                if (!candidates.TryGetValue(key, out var nodes))
                {
                    candidates.Add(key, nodes = new List<Candidate>());
                }

                nodes.Add(new Candidate(node, unqualified));
            }

            foreach (var node in root.DescendantNodes())
            {
                switch (node)
                {
                    case AssignmentExpressionSyntax assignment when assignment.IsKind(SyntaxKind.SimpleAssignmentExpression)
                                                                     || assignment.IsKind(SyntaxKind.CoalesceAssignmentExpression):
                        // An object initializer's `Name = value` names a member of the created type.
                        var inInitializer = assignment.Parent is InitializerExpressionSyntax;
                        if (assignment.Left is ElementAccessExpressionSyntax element)
                        {
                            Add(StoreKind.Container, LastName(element.Expression), node, !inInitializer && IsUnqualified(element.Expression));
                        }
                        else if (assignment.Left is TupleExpressionSyntax tuple)
                        {
                            AddDeconstructionTargets(tuple, node);
                        }
                        else
                        {
                            Add(StoreKind.Holder, LastName(assignment.Left), node, !inInitializer && IsUnqualified(assignment.Left));
                        }

                        break;

                    case AssignmentExpressionSyntax assignment when assignment.IsKind(SyntaxKind.AddAssignmentExpression):
                        // Tick += () => convert(1), _handlers += handler: an event or a delegate gains a handler.
                        Add(StoreKind.Holder, LastName(assignment.Left), node, IsUnqualified(assignment.Left));
                        break;

                    case VariableDeclaratorSyntax { Parent.Parent: BaseFieldDeclarationSyntax, Initializer: not null } declarator:
                        Add(StoreKind.Holder, declarator.Identifier.ValueText, node, unqualified: true);
                        break;

                    case PropertyDeclarationSyntax { Initializer: not null } property:
                        Add(StoreKind.Holder, property.Identifier.ValueText, node, unqualified: true);
                        break;

                    case InvocationExpressionSyntax invocation:
                        cancellationToken.ThrowIfCancellationRequested();
                        Add(StoreKind.Call, LastName(invocation.Expression), node, IsUnqualified(invocation.Expression));
                        foreach (var argument in invocation.ArgumentList.Arguments)
                        {
                            if (!argument.RefKindKeyword.IsKind(SyntaxKind.None))
                            {
                                // Interlocked.Exchange(ref _run, run), Bind(out _run): the call stores into the argument.
                                Add(StoreKind.Holder, LastName(argument.Expression), node, IsUnqualified(argument.Expression));
                            }
                        }

                        if (invocation.Expression is MemberAccessExpressionSyntax access)
                        {
                            // exports.Add("convert", instance.GetFunction<int, int>("convert"))
                            Add(StoreKind.Container, LastName(access.Expression), node, IsUnqualified(access.Expression));
                        }

                        break;

                    case ObjectCreationExpressionSyntax creation:
                        Add(StoreKind.Call, LastName(creation.Type), node, unqualified: false);
                        break;

                    case ImplicitObjectCreationExpressionSyntax:
                        Add(StoreKind.Call, string.Empty, node, unqualified: false);
                        break;
                }
            }

            return candidates;

            void AddDeconstructionTargets(TupleExpressionSyntax tuple, SyntaxNode node)
            {
                foreach (var argument in tuple.Arguments)
                {
                    if (argument.Expression is TupleExpressionSyntax nested)
                    {
                        AddDeconstructionTargets(nested, node);
                    }
                    else
                    {
                        Add(StoreKind.Holder, LastName(argument.Expression), node, IsUnqualified(argument.Expression));
                    }
                }
            }
        }

        /// <summary><c>Name</c>, <c>Name&lt;T&gt;</c>, <c>this.Name</c>, <c>base.Name</c>: no receiver of another type.</summary>
        private static bool IsUnqualified(ExpressionSyntax expression) => expression switch
        {
            IdentifierNameSyntax or GenericNameSyntax => true,
            MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax or BaseExpressionSyntax } => true,
            _ => false,
        };

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
}
