using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>
/// Pure sources: whether the expression a view was obtained from can be evaluated again, later,
/// and give the same view (at the same address, of the same length) with no other effect. Such an
/// expression writes no state, calls no guest code and reads nothing out of guest memory (an
/// address read with <c>Memory.ReadInt32</c> may have been rewritten by the guest); its inputs are
/// constants, readonly fields, locals and parameters (the caller says whether those changed). A
/// helper of the compilation is pure when its body is (<c>ref Entity(id)</c>,
/// <c>Span&lt;byte&gt; Output() =&gt; memory.GetSpan(_output, _length)</c> with readonly fields);
/// one that allocates (pushes a shadow-stack slot, calls <c>malloc</c> through an export) writes
/// state or calls the guest, and is never evaluated again.
/// </summary>
/// <remarks>
/// Only the code fixes ask, for the helpers a finding reaches: the summary is solved on demand
/// (<see cref="SummaryScheduling.OnDemand"/>) and costs the rules nothing.
/// </remarks>
internal sealed class PureSourceSummaries
{
    private readonly WasmViewSemantics _semantics;
    private readonly MaySummary<IMethodSymbol> _mayHaveEffects;
    private readonly ConcurrentDictionary<ISymbol, bool> _stableMembers = new(SymbolEqualityComparer.Default);

    public PureSourceSummaries(WasmViewSemantics semantics, SummaryCatalog catalog)
    {
        _semantics = semantics;
        _mayHaveEffects = new MaySummary<IMethodSymbol>(catalog, SummaryScheduling.OnDemand, ComputeMayHaveEffects, AnswerOutsideSource);
    }

    private ViewMemberEffects Effects => _semantics.Symbols.Effects;

    /// <summary>
    /// Whether evaluating <paramref name="expression"/> again gives the value it gave, with no other
    /// effect, provided no variable it reads has changed; <paramref name="inputChanged"/> says which
    /// locals and parameters may have.
    /// </summary>
    public bool IsReevaluable(IOperation expression, Func<ISymbol, bool> inputChanged, SummarySolver? solver, CancellationToken cancellationToken)
    {
        solver ??= _semantics.NewSolver(cancellationToken);
        foreach (var operation in expression.DescendantsAndSelf())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!IsPureOperation(operation, inputChanged, solver))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether evaluating <paramref name="operation"/> itself, apart from its children, has no
    /// effect but its value and gives the same value again unless an input changed.
    /// </summary>
    public bool IsPureOperation(IOperation operation, Func<ISymbol, bool> inputChanged, SummarySolver? solver, CancellationToken cancellationToken)
        => IsPureOperation(operation, inputChanged, solver ?? _semantics.NewSolver(cancellationToken));

    /// <summary>Whether calling <paramref name="method"/> has no effect but its result, and reads no guest memory.</summary>
    public bool IsPure(IMethodSymbol method, SummarySolver? solver, CancellationToken cancellationToken)
        => Effects.IsPure(method) || !_mayHaveEffects.Get(method, solver ?? _semantics.NewSolver(cancellationToken));

    /// <summary>
    /// A field whose value does not change once the object is built: readonly or constant, or
    /// private and assigned only by the constructors and initializers of its type.
    /// </summary>
    public bool IsStableField(IFieldSymbol field, CancellationToken cancellationToken)
    {
        if (field.IsConst || field.IsReadOnly)
        {
            return true;
        }

        return IsStableMember(field, cancellationToken);
    }

    /// <summary>A private field or auto-property with a private setter, assigned only while its object is built.</summary>
    private bool IsStableMember(ISymbol member, CancellationToken cancellationToken)
    {
        var accessibility = member is IPropertySymbol { SetMethod: { } setter } ? setter.DeclaredAccessibility : member.DeclaredAccessibility;
        if (accessibility != Accessibility.Private || !_semantics.IsDeclaredInSource(member))
        {
            return false;
        }

        var definition = member.OriginalDefinition;
        return _stableMembers.TryGetValue(definition, out var stable)
            ? stable
            : _stableMembers.GetOrAdd(definition, !IsAssignedOutsideConstruction(definition, cancellationToken));
    }

    private bool IsAssignedOutsideConstruction(ISymbol field, CancellationToken cancellationToken)
    {
        foreach (var declaringReference in field.ContainingType.DeclaringSyntaxReferences)
        {
            var declaration = declaringReference.GetSyntax(cancellationToken);
            if (!_semantics.Compilation.ContainsSyntaxTree(declaration.SyntaxTree))
            {
                return true;
            }

#pragma warning disable RS1030 // The field's writers are in its type's declarations, wherever they are.
            var model = _semantics.Compilation.GetSemanticModel(declaration.SyntaxTree);
#pragma warning restore RS1030
            foreach (var node in declaration.DescendantNodes())
            {
                if (node is not Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax name || name.Identifier.ValueText != field.Name)
                {
                    continue;
                }

                if (model.GetOperation(name, cancellationToken) is not IMemberReferenceOperation reference
                    || !SymbolEqualityComparer.Default.Equals(reference.Member.OriginalDefinition, field)
                    || !IsWritten(reference))
                {
                    continue;
                }

                var writer = model.GetEnclosingSymbol(name.SpanStart, cancellationToken);
                if (writer is not IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor } constructor
                    || !SymbolEqualityComparer.Default.Equals(constructor.ContainingType.OriginalDefinition, field.ContainingType.OriginalDefinition))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsWritten(IOperation reference)
    {
        var operation = reference;
        while (operation.Parent is IParenthesizedOperation or IConversionOperation)
        {
            operation = operation.Parent;
        }

        return operation.Parent switch
        {
            IAssignmentOperation assignment => assignment.Target == operation,
            IIncrementOrDecrementOperation => true,
            IArgumentOperation argument => argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out,
            IAddressOfOperation => true,
            ITupleOperation => true,
            _ => false,
        };
    }

    /// <summary>
    /// Whether evaluating <paramref name="operation"/> itself (its children are asked on their own)
    /// has no effect but its value, and gives the same value again unless an input changed.
    /// </summary>
    private bool IsPureOperation(IOperation operation, Func<ISymbol, bool> inputChanged, SummarySolver solver)
    {
        switch (operation)
        {
            case ILiteralOperation:
            case IDefaultValueOperation:
            case ISizeOfOperation:
            case ITypeOfOperation:
            case IInstanceReferenceOperation:
            case IArgumentOperation:
            case IParenthesizedOperation:
            case IConditionalOperation:
            case ICoalesceOperation:
            case IConditionalAccessOperation:
            case IConditionalAccessInstanceOperation:
            case IDiscardOperation:
            case IDeclarationExpressionOperation:
            case IAddressOfOperation:
            case IRangeOperation:
            case ITupleOperation:
            case IObjectOrCollectionInitializerOperation:
            case IArrayCreationOperation:
            case IArrayInitializerOperation:
            case IIsTypeOperation:
            case IIsPatternOperation:
            case ISwitchExpressionOperation:
            case ISwitchExpressionArmOperation:
            case IDeclarationPatternOperation:
            case ITypePatternOperation:
            case IConstantPatternOperation:
            case IRelationalPatternOperation:
            case INegatedPatternOperation:
            case IBinaryPatternOperation:
            case IDiscardPatternOperation:
            case IPropertySubpatternOperation:
                // Tests of a value (`x is Slot { Length: > 0 } s`): the members they read are asked on their own.
                return true;
            case IRecursivePatternOperation recursive:
                // `x is (var a, var b)` calls Deconstruct.
                return recursive.DeconstructSymbol is not IMethodSymbol deconstruct || IsPureCall(deconstruct, solver);
            case ISimpleAssignmentOperation { Target: IMemberReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver } } member }:
                // new Slot { Pointer = p }: sets a member of the object being built.
                return member is IFieldReferenceOperation
                       || (member is IPropertyReferenceOperation { Property.SetMethod: { } setter } && (Effects.IsPure(setter) || _semantics.Bodies.GetBody(setter, solver.CancellationToken) is null || IsPureCall(setter, solver)));
            case IConversionOperation conversion:
                return conversion.OperatorMethod is null || IsPureCall(conversion.OperatorMethod, solver);
            case IBinaryOperation binary:
                return binary.OperatorMethod is null || IsPureCall(binary.OperatorMethod, solver);
            case IUnaryOperation unary:
                return unary.OperatorMethod is null || IsPureCall(unary.OperatorMethod, solver);
            case ILocalReferenceOperation local:
                return local.IsDeclaration || (!local.Local.IsRef && !inputChanged(local.Local)) || (local.Local.IsRef && IsTakenByReference(local) && !inputChanged(local.Local));
            case IParameterReferenceOperation parameter:
                // _state = ref state in a ref struct's constructor: the place is kept, nothing is read.
                return (parameter.Parameter.RefKind is RefKind.None or RefKind.In || IsTakenByReference(parameter)) && !inputChanged(parameter.Parameter);
            case IFieldReferenceOperation field:
                // ref Entity(id).Position: a field of a struct only referred to is a place, whatever it holds.
                return IsStableField(field.Field, solver.CancellationToken) || IsOwnStructField(field)
                       || (field.Field.ContainingType?.IsValueType == true && IsTakenByReference(field));
            case IPropertyReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver }, Parent: ISimpleAssignmentOperation }:
                // The member an object initializer sets: judged with its assignment.
                return true;
            case IPropertyReferenceOperation property:
                return IsPureProperty(property, solver);
            case IInvocationOperation invocation:
                return invocation.TargetMethod.MethodKind != MethodKind.DelegateInvoke && IsPureCall(invocation.TargetMethod, solver);
            case IObjectCreationOperation { Type: INamedTypeSymbol created } creation:
                return Effects.IsPureCreation(created)
                       || (creation.Constructor is { } constructor && _semantics.IsDeclaredInSource(constructor) && (IsPureImplicitConstructor(constructor) || IsPureCall(constructor, solver)));
            case { Syntax: Microsoft.CodeAnalysis.CSharp.Syntax.CollectionExpressionSyntax }:
                // [a, b]: a new collection of the elements, each judged on its own.
                return true;
            default:
                // *p, p[i] and view[^1] read guest memory unless the result is only referred to
                // (&p[i], ref view[^1]), and a slice (view[1..]) is a view like the span.
                if (operation.Kind is OperationKind.None or OperationKind.ImplicitIndexerReference)
                {
                    return IsTakenByReference(operation) || _semantics.Symbols.IsSpanLike(operation.Type) || _semantics.Types.CanHoldView(operation.Type);
                }

                return false;
        }
    }

    /// <summary>
    /// The constructor C# declares for a type that declares none, or a record's or struct's primary
    /// constructor (<c>record PayloadRef(nint Address, int Length)</c>), which only sets the members from its
    /// parameters: pure unless it hands arguments to a base constructor or an initializer of an
    /// instance member calls something.
    /// </summary>
    private static bool IsPureImplicitConstructor(IMethodSymbol constructor)
    {
        // Only a record's or struct's: created again, it equals the one created before.
        var isPrimary = (constructor.ContainingType.IsRecord || constructor.ContainingType.IsValueType)
                        && constructor.DeclaringSyntaxReferences.Length == 1
                        && constructor.DeclaringSyntaxReferences[0].GetSyntax() is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax { ParameterList: not null } type
                        && type.BaseList?.Types.Any(t => t is Microsoft.CodeAnalysis.CSharp.Syntax.PrimaryConstructorBaseTypeSyntax) != true;
        if (!constructor.IsImplicitlyDeclared && !isPrimary)
        {
            return false;
        }

        foreach (var member in constructor.ContainingType.GetMembers())
        {
            if (member.IsStatic || member is not (IFieldSymbol or IPropertySymbol))
            {
                continue;
            }

            foreach (var reference in member.DeclaringSyntaxReferences)
            {
                var declaration = reference.GetSyntax();
                var initializer = declaration switch
                {
                    Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax declarator => declarator.Initializer?.Value,
                    Microsoft.CodeAnalysis.CSharp.Syntax.PropertyDeclarationSyntax property => property.Initializer?.Value,
                    _ => null,
                };

                if (initializer is not null && initializer.DescendantNodesAndSelf().Any(n => n is Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private bool IsPureProperty(IPropertyReferenceOperation reference, SummarySolver solver)
    {
        var property = reference.Property;
        if (Effects.IsPure(property))
        {
            return true;
        }

        // view[i] refers to guest memory: reading it by value reads what the guest left there.
        if (property.IsIndexer && _semantics.Symbols.IsSpanLike(property.ContainingType))
        {
            return IsTakenByReference(reference);
        }

        if (property.IsIndexer || property.GetMethod is not { } getter || !_semantics.IsDeclaredInSource(property))
        {
            return false;
        }

        if (_semantics.Bodies.GetBody(getter, solver.CancellationToken) is null)
        {
            if (SourceCallGraph.IsDispatched(getter))
            {
                // backend.Window of an interface or abstract property runs one of the getters the
                // compilation declares: pure where each of them is, as a call of a method would be.
                var implementations = _semantics.CallGraph.FindImplementations(getter);
                return !implementations.IsEmpty && implementations.All(implementation => IsPureGetter(implementation, solver));
            }

            return IsStableAutoProperty(property, solver.CancellationToken);
        }

        return IsPureCall(getter, solver);
    }

    private bool IsPureGetter(IMethodSymbol getter, SummarySolver solver)
        => _semantics.Bodies.GetBody(getter, solver.CancellationToken) is not null
            ? IsPureCall(getter, solver)
            : getter.AssociatedSymbol is IPropertySymbol property && !SourceCallGraph.IsDispatched(getter) && IsStableAutoProperty(property, solver.CancellationToken);

    /// <summary>An auto-property is as stable as its backing field: get-only or init-only, or set only while the object is built.</summary>
    private bool IsStableAutoProperty(IPropertySymbol property, CancellationToken cancellationToken)
        => property.SetMethod is null or { IsInitOnly: true } || IsStableMember(property, cancellationToken);

    private bool IsPureCall(IMethodSymbol method, SummarySolver solver)
        => Effects.IsPure(method) || !_mayHaveEffects.Get(method, solver);

    /// <summary><c>entry.Address</c> of a struct value the expression holds itself: as stable as the struct.</summary>
    private static bool IsOwnStructField(IFieldReferenceOperation field)
        => field.Field.ContainingType?.IsValueType == true
           && field.Instance?.WalkDownConversions() is ILocalReferenceOperation { Local.IsRef: false } or IParameterReferenceOperation { Parameter.RefKind: RefKind.None };

    /// <summary>Whether the value is only referred to, never read: <c>ref x</c>, <c>&amp;x</c>, an argument by reference.</summary>
    private static bool IsTakenByReference(IOperation operation)
    {
        var current = operation;
        while (current.Parent is IParenthesizedOperation)
        {
            current = current.Parent;
        }

        return current.Parent switch
        {
            IAddressOfOperation => true,
            IArgumentOperation argument => argument.Parameter?.RefKind is RefKind.Ref or RefKind.In or RefKind.RefReadOnlyParameter,
            ISimpleAssignmentOperation { IsRef: true } assignment => assignment.Value == current,
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Symbol.IsRef: true } } => true,
            IReturnOperation { Parent: not null } => IsInRefReturningMethod(current),
            IFieldReferenceOperation { Field.ContainingType.IsValueType: true } field => IsTakenByReference(field),
            _ => false,
        };
    }

    private static bool IsInRefReturningMethod(IOperation operation)
    {
        for (var current = operation; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IMethodBodyOperation or IBlockOperation { Parent: null }:
                    // A method body's syntax is the declaration, which encloses nothing at its start.
                    var method = current.SemanticModel?.GetDeclaredSymbol(current.Syntax) ?? current.SemanticModel?.GetEnclosingSymbol(current.Syntax.SpanStart);
                    return method is IMethodSymbol { ReturnsByRef: true } or IMethodSymbol { ReturnsByRefReadonly: true };
                case IAnonymousFunctionOperation lambda:
                    return lambda.Symbol.ReturnsByRef || lambda.Symbol.ReturnsByRefReadonly;
                case ILocalFunctionOperation localFunction:
                    return localFunction.Symbol.ReturnsByRef || localFunction.Symbol.ReturnsByRefReadonly;
            }
        }

        return false;
    }

    /// <summary>
    /// The body of <paramref name="method"/> writes no state but its own locals (and, for a
    /// constructor, the object it builds), calls no guest code, and each of its expressions is pure.
    /// </summary>
    private bool ComputeMayHaveEffects(IMethodSymbol method, SummarySolver solver)
    {
        if (_semantics.GuestCalls.MayCallGuest(method, solver))
        {
            return true;
        }

        var body = _semantics.Bodies.GetBody(method, solver.CancellationToken);
        if (body is not null)
        {
            // A virtual member with a body of its own may run an override instead: pure only where
            // each of them is too.
            foreach (var implementation in _semantics.CallGraph.FindImplementationsRunInstead(method))
            {
                if (_mayHaveEffects.Get(implementation, solver))
                {
                    return true;
                }
            }
        }

        if (body is null && method.MethodKind is MethodKind.Ordinary or MethodKind.PropertyGet && SourceCallGraph.IsDispatched(method))
        {
            // A call through an interface or abstract member runs one of the implementations the
            // compilation declares: pure where each of them is (Arena(offset, length) => _memory.GetSpan(offset, length)).
            var implementations = _semantics.CallGraph.FindImplementations(method);
            return implementations.IsEmpty || implementations.Any(implementation => _mayHaveEffects.Get(implementation, solver));
        }

        if (body is null)
        {
            // An auto-property's accessor only reads its backing field.
            return method.AssociatedSymbol is not IPropertySymbol || method.MethodKind != MethodKind.PropertyGet;
        }

        foreach (var operation in body.DescendantsOutsideNestedFunctions())
        {
            solver.CancellationToken.ThrowIfCancellationRequested();
            switch (operation)
            {
                case IBlockOperation or IMethodBodyOperation or IConstructorBodyOperation or IExpressionStatementOperation or IReturnOperation
                    or IVariableDeclarationGroupOperation or IVariableDeclarationOperation or IVariableDeclaratorOperation or IVariableInitializerOperation
                    or IConditionalOperation or IThrowOperation or IEmptyOperation or ILocalFunctionOperation or IAnonymousFunctionOperation
                    or IDelegateCreationOperation or IInterpolatedStringOperation or IInterpolationOperation or IInterpolatedStringTextOperation:
                    continue;
                case IAssignmentOperation assignment:
                    if (!IsOwnLocation(assignment.Target, method))
                    {
                        return true;
                    }

                    continue;
                case IIncrementOrDecrementOperation increment:
                    if (!IsOwnLocation(increment.Target, method))
                    {
                        return true;
                    }

                    continue;
                case IObjectCreationOperation { Parent: IThrowOperation or IConversionOperation { Parent: IThrowOperation } }:
                    // new ArgumentOutOfRangeException(...) in a guard: thrown, not kept.
                    continue;
                default:
                    if (!IsPureOperation(operation, static _ => false, solver))
                    {
                        return true;
                    }

                    continue;
            }
        }

        return false;
    }

    /// <summary>A local of the method (not through a ref), an <c>out</c> parameter, or, in a constructor, a field of the object it builds.</summary>
    private static bool IsOwnLocation(IOperation target, IMethodSymbol method)
    {
        target = target is IDeclarationExpressionOperation declaration ? declaration.Expression : target;
        return target switch
        {
            ILocalReferenceOperation local => !local.Local.IsRef || target.Parent is ISimpleAssignmentOperation { IsRef: true },
            IParameterReferenceOperation parameter => parameter.Parameter.RefKind is RefKind.Out or RefKind.None,
            IFieldReferenceOperation { Instance: IInstanceReferenceOperation } or IPropertyReferenceOperation { Instance: IInstanceReferenceOperation }
                => method.MethodKind == MethodKind.Constructor,
            ITupleOperation tuple => AllOwn(tuple, method),
            IDiscardOperation => true,
            _ => false,
        };
    }

    private static bool AllOwn(ITupleOperation tuple, IMethodSymbol method)
    {
        foreach (var element in tuple.Elements)
        {
            if (!IsOwnLocation(element, method))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A method without a body in this compilation is pure only when the table says so (asked before the summary).</summary>
    private bool AnswerOutsideSource(ref IMethodSymbol method, out bool answer)
    {
        answer = true;
        return !_semantics.IsSourceMethod(method, out method);
    }
}
