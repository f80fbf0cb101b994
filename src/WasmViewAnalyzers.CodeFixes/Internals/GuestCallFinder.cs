using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// Whether running a piece of code may run guest code, as the engine judges each operation: calls,
/// creations and property accesses (<see cref="Engine.Summaries.GuestCallSummaries"/>), and what
/// C# runs without a call in sight — a user-defined operator or conversion, <c>Deconstruct</c>,
/// the <c>GetEnumerator</c>/<c>MoveNext</c>/<c>Current</c> of a <c>foreach</c>, the <c>Dispose</c>
/// of a <c>using</c> — and every <c>await</c> and <c>yield return</c>. Lambdas and local functions
/// are not run where they are written.
/// </summary>
internal static class GuestCallFinder
{
    public static bool Contains(SemanticModel model, WasmViewSemantics semantics, SyntaxNode node, CancellationToken cancellationToken)
    {
        foreach (var syntax in node.DescendantNodesAndSelf(n => n is not AnonymousFunctionExpressionSyntax and not LocalFunctionStatementSyntax))
        {
            switch (syntax)
            {
                case AwaitExpressionSyntax or YieldStatementSyntax:
                case CommonForEachStatementSyntax { AwaitKeyword.RawKind: not 0 }:
                case UsingStatementSyntax { AwaitKeyword.RawKind: not 0 }:
                case LocalDeclarationStatementSyntax { AwaitKeyword.RawKind: not 0 }:
                    return true;
                case CommonForEachStatementSyntax loop when EnumerationCallsGuest(model, semantics, loop, cancellationToken):
                    return true;
                case UsingStatementSyntax or LocalDeclarationStatementSyntax { UsingKeyword.RawKind: not 0 } when DisposalCallsGuest(model, semantics, syntax, cancellationToken):
                    return true;
                case ExpressionSyntax expression when IsCallLike(expression) && model.GetOperation(expression, cancellationToken) is { } operation && OperationCallsGuest(model, semantics, operation, cancellationToken):
                    return true;
                case InitializerExpressionSyntax or InterpolatedStringExpressionSyntax when ImplicitCallsGuest(model, semantics, syntax, cancellationToken):
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The calls C# makes without a call in sight: the <c>Add</c> of each element of a collection
    /// initializer, the <c>AppendLiteral</c>/<c>AppendFormatted</c> of an interpolated string handler.
    /// </summary>
    private static bool ImplicitCallsGuest(SemanticModel model, WasmViewSemantics semantics, SyntaxNode syntax, CancellationToken cancellationToken)
    {
        if (model.GetOperation(syntax, cancellationToken) is not { } operation)
        {
            return false;
        }

        while (operation.Parent is { } parent && parent.Syntax == syntax)
        {
            operation = parent;
        }

        var solver = semantics.NewSolver(cancellationToken);
        foreach (var descendant in operation.DescendantsAndSelf())
        {
            if (descendant is IInvocationOperation or IObjectCreationOperation
                && (descendant.IsImplicit || descendant.Parent is IInterpolatedStringAppendOperation || descendant is IObjectCreationOperation { Parent: IInterpolatedStringHandlerCreationOperation })
                && semantics.GuestCalls.TryGetGuestCall(descendant, null, solver, cancellationToken) is not null)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsCallLike(ExpressionSyntax expression)
        => expression is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax or MemberAccessExpressionSyntax or ElementAccessExpressionSyntax
            or IdentifierNameSyntax or BinaryExpressionSyntax or PrefixUnaryExpressionSyntax or PostfixUnaryExpressionSyntax or CastExpressionSyntax
            or AssignmentExpressionSyntax or ElementBindingExpressionSyntax or MemberBindingExpressionSyntax
           || expression.Parent is EqualsValueClauseSyntax or ArgumentSyntax or ReturnStatementSyntax or ArrowExpressionClauseSyntax;

    private static bool OperationCallsGuest(SemanticModel model, WasmViewSemantics semantics, IOperation operation, CancellationToken cancellationToken)
    {
        var solver = semantics.NewSolver(cancellationToken);
        switch (operation)
        {
            case IInvocationOperation or IObjectCreationOperation or IPropertyReferenceOperation:
                return semantics.GuestCalls.TryGetGuestCall(operation, null, solver, cancellationToken) is not null;
            case IBinaryOperation { OperatorMethod: { } method }:
                return MayCallGuest(semantics, method, solver);
            case IUnaryOperation { OperatorMethod: { } method }:
                return MayCallGuest(semantics, method, solver);
            case ICompoundAssignmentOperation { OperatorMethod: { } method }:
                return MayCallGuest(semantics, method, solver);
            case IIncrementOrDecrementOperation { OperatorMethod: { } method }:
                return MayCallGuest(semantics, method, solver);
            case IDeconstructionAssignmentOperation deconstruction:
                return DeconstructionCallsGuest(model, semantics, deconstruction.Syntax, solver, cancellationToken);
        }

        // An implicit user-defined conversion of the value (GuestString s = name) has no syntax of its own.
        for (var parent = operation.Parent; parent is IConversionOperation { IsImplicit: true } conversion; parent = parent.Parent)
        {
            if (conversion.OperatorMethod is { } method && MayCallGuest(semantics, method, solver))
            {
                return true;
            }
        }

        return operation is IConversionOperation { OperatorMethod: { } explicitMethod } && MayCallGuest(semantics, explicitMethod, solver);
    }

    private static bool DeconstructionCallsGuest(SemanticModel model, WasmViewSemantics semantics, SyntaxNode syntax, Engine.Summaries.SummarySolver solver, CancellationToken cancellationToken)
    {
        if (syntax is not AssignmentExpressionSyntax assignment)
        {
            return false;
        }

        var info = model.GetDeconstructionInfo(assignment);
        return CallsGuest(info);

        bool CallsGuest(DeconstructionInfo each)
            => (each.Method is { } method && MayCallGuest(semantics, method, solver))
               || (each.Conversion?.MethodSymbol is { } conversion && MayCallGuest(semantics, conversion, solver))
               || each.Nested.Any(CallsGuest);
    }

    private static bool EnumerationCallsGuest(SemanticModel model, WasmViewSemantics semantics, CommonForEachStatementSyntax loop, CancellationToken cancellationToken)
    {
        var info = model.GetForEachStatementInfo(loop);
        var solver = semantics.NewSolver(cancellationToken);
        return (info.GetEnumeratorMethod is { } getEnumerator && MayCallGuest(semantics, getEnumerator, solver))
               || (info.MoveNextMethod is { } moveNext && MayCallGuest(semantics, moveNext, solver))
               || (info.CurrentProperty?.GetMethod is { } current && MayCallGuest(semantics, current, solver))
               || (info.DisposeMethod is { } dispose && MayCallGuest(semantics, dispose, solver))
               || (loop is ForEachVariableStatementSyntax && model.GetOperation(loop, cancellationToken) is IForEachLoopOperation { LoopControlVariable: IDeclarationExpressionOperation or ITupleOperation } && DeconstructionOfLoopCallsGuest(model, semantics, loop, solver));
    }

    private static bool DeconstructionOfLoopCallsGuest(SemanticModel model, WasmViewSemantics semantics, CommonForEachStatementSyntax loop, Engine.Summaries.SummarySolver solver)
        => loop is ForEachVariableStatementSyntax variable
           && model.GetDeconstructionInfo(variable) is var info
           && info.Method is { } method
           && MayCallGuest(semantics, method, solver);

    private static bool DisposalCallsGuest(SemanticModel model, WasmViewSemantics semantics, SyntaxNode statement, CancellationToken cancellationToken)
    {
        var types = statement switch
        {
            UsingStatementSyntax { Declaration: { } declaration } => declaration.Variables.Select(v => (model.GetDeclaredSymbol(v, cancellationToken) as ILocalSymbol)?.Type),
            UsingStatementSyntax { Expression: { } expression } => new[] { model.GetTypeInfo(expression, cancellationToken).Type },
            LocalDeclarationStatementSyntax declaration => declaration.Declaration.Variables.Select(v => (model.GetDeclaredSymbol(v, cancellationToken) as ILocalSymbol)?.Type),
            _ => Enumerable.Empty<ITypeSymbol?>(),
        };

        var disposable = model.Compilation.GetSpecialType(SpecialType.System_IDisposable).GetMembers("Dispose").FirstOrDefault();
        var solver = semantics.NewSolver(cancellationToken);
        return types.Any(type => type is not null
                                 && disposable is not null
                                 && type.FindImplementationForInterfaceMember(disposable) is IMethodSymbol dispose
                                 && MayCallGuest(semantics, dispose, solver));
    }

    private static bool MayCallGuest(WasmViewSemantics semantics, IMethodSymbol method, Engine.Summaries.SummarySolver solver)
        => Engine.Knowledge.WasmSymbols.HasGuestCallAttribute(method)
           || semantics.Configured.IsGuestCall(method)
           || semantics.GuestCalls.IsWasmtimeGuestCall(method)
           || semantics.GuestCalls.MayCallGuest(method, solver);
}
