using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine;

internal sealed partial class CompilationViewAnalysis
{
    /// <summary>What the flow analysis of a block could find, judged before its control-flow graph is built.</summary>
    private enum BlockOutlook
    {
        /// <summary>The block obtains no view (directly, through a helper of the compilation, or through an <c>out</c> argument) and hands no data source over: nothing to report.</summary>
        NoViews,

        /// <summary>
        /// The block obtains views only as <c>Memory.GetSpan</c> spans of bytes, and after the first
        /// of them it runs nothing but span members and other <c>GetSpan</c> calls in straight-line
        /// code: no view can be stale, escape or be handed over.
        /// </summary>
        ReportsNothing,

        NeedsAnalysis,
    }

    /// <summary>
    /// One walk of the block in place of the flow analysis where the answer is certain without it.
    /// The flow analysis starts with no view and can only report about views the block obtains
    /// (the same premise as skipping a block that obtains none). A span of bytes from
    /// <c>Memory.GetSpan</c> is a ref struct: it cannot be captured, boxed or stored in the heap,
    /// so with no lambda or local function in the block, only span members run on it and a method
    /// whose signature hands no view back, it stays in the block's locals. It is stale only if a guest call or
    /// <c>Memory.Grow</c> runs after it is obtained; every operation whose code may run after the
    /// first span completes is whitelisted below, and a whitelisted operation runs no method but
    /// a span member or <c>Memory.GetSpan</c>. Code written before the first span runs before it:
    /// any construct that would run it later (a loop, <c>try</c> or <c>using</c> around the span,
    /// a label after it, an assignment whose setter runs after its value) contains the span or
    /// ends after it, and is not whitelisted; a <c>using</c> declaration, whose <c>Dispose</c>
    /// runs at the end of the block, is ruled out wherever it is. When in doubt the answer is
    /// <see cref="BlockOutlook.NeedsAnalysis"/>.
    /// </summary>
    private static BlockOutlook Foresee(WasmViewSemantics semantics, IOperation block, ISymbol owner, CancellationToken cancellationToken)
    {
        // A method that may hand a view back is analyzed anyway: its view-return summary, which
        // its callers ask for, needs the graph the driver's analysis would build and share.
        var skippable = block is IBlockOperation && owner is IMethodSymbol method && !semantics.ViewSources.MayReturnView(method);
        IOperation? first = null;

        // Where the last of the operations that may run other code ends: the block is skipped only
        // if that is before the first span ends. An operation inside that span (its receiver, its
        // arguments) ends before it and runs before it; one that contains it or follows it does not.
        // Full spans compare the same way (by the node's last token) without the walk to the first
        // and last tokens that a span without trivia costs.
        var latestEnd = -1;
        foreach (var operation in block.DescendantsAndSelf())
        {
            if (semantics.Archives.HandsOverDataSourceReadingGuestMemory(operation, cancellationToken)
                || (operation is IInvocationOperation invocation && HasOutAcquisition(semantics, invocation, cancellationToken)))
            {
                return BlockOutlook.NeedsAnalysis;
            }

            if (semantics.ViewSources.TryGetAcquisition(operation, solver: null, cancellationToken) is not null)
            {
                if (!skippable || !IsSpanOfBytesFromMemory(semantics, operation))
                {
                    return BlockOutlook.NeedsAnalysis;
                }

                if (first is null || operation.Syntax.FullSpan.End < first.Syntax.FullSpan.End)
                {
                    first = operation;
                }

                if (latestEnd >= first.Syntax.FullSpan.End)
                {
                    // Around the span (a loop, a call taking it) or before its end: may run after it.
                    return BlockOutlook.NeedsAnalysis;
                }

                continue;
            }

            if (!skippable)
            {
                continue;
            }

            if (operation.Kind is OperationKind.AnonymousFunction or OperationKind.LocalFunction or OperationKind.UsingDeclaration)
            {
                // A nested function is analyzed with its block; a using declaration disposes at the block's end.
                if (first is not null)
                {
                    return BlockOutlook.NeedsAnalysis;
                }

                skippable = false;
            }
            else if (operation.Syntax.FullSpan.End > latestEnd && !RunsOnlySpanCode(semantics, operation))
            {
                latestEnd = operation.Syntax.FullSpan.End;
                if (first is not null && latestEnd >= first.Syntax.FullSpan.End)
                {
                    return BlockOutlook.NeedsAnalysis;
                }
            }
        }

        if (first is null)
        {
            return BlockOutlook.NoViews;
        }

        // Every reason not to skip has returned already: a view obtained otherwise, a nested
        // function, code that is not span code ending after the first span.
        return BlockOutlook.ReportsNothing;
    }

    private static bool HasOutAcquisition(WasmViewSemantics semantics, IInvocationOperation invocation, CancellationToken cancellationToken)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.RefKind is RefKind.Out or RefKind.Ref
                && semantics.ViewSources.TryGetOutAcquisition(invocation, argument, solver: null, cancellationToken) is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>memory.GetSpan(address, length)</c>: a <c>Span&lt;byte&gt;</c> that holds no address the analysis would follow as a pointer.</summary>
    private static bool IsSpanOfBytesFromMemory(WasmViewSemantics semantics, IOperation operation)
        => operation is IInvocationOperation { TargetMethod: { Name: "GetSpan", IsGenericMethod: false } method } invocation
           && semantics.Symbols.IsWasmtimeType(method.ContainingType, semantics.Symbols.Memory)
           && semantics.Symbols.IsSpan(invocation.Type)
           && ((INamedTypeSymbol)invocation.Type!).TypeArguments[0].SpecialType == SpecialType.System_Byte;

    /// <summary>
    /// Whether <paramref name="operation"/> may come after the first span: it runs no code but a
    /// member of <c>Span&lt;T&gt;</c> or <c>ReadOnlySpan&lt;T&gt;</c> that returns plain data, stores
    /// nothing but into a local it declares, takes and returns nothing by reference, and branches
    /// nowhere.
    /// </summary>
    private static bool RunsOnlySpanCode(WasmViewSemantics semantics, IOperation operation)
    {
        switch (operation)
        {
            case IBlockOperation:
            case IVariableDeclarationGroupOperation:
            case IVariableDeclarationOperation:
            case IVariableInitializerOperation:
            case IExpressionStatementOperation:
            case ILiteralOperation:
            case IInstanceReferenceOperation:
                return true;
            case IVariableDeclaratorOperation declarator:
                return !declarator.Symbol.IsRef;
            case ILocalReferenceOperation local:
                return !local.Local.IsRef;
            case IParameterReferenceOperation parameter:
                return parameter.Parameter.RefKind == RefKind.None;
            case IFieldReferenceOperation field:
                return field.Field.RefKind == RefKind.None;
            case IReturnOperation @return:
                return @return.Kind == OperationKind.Return && @return.ReturnedValue?.Type?.TypeKind != TypeKind.Delegate;
            case IArgumentOperation argument:
                return argument.ArgumentKind == ArgumentKind.Explicit && argument.Parameter?.RefKind == RefKind.None;
            case IConversionOperation conversion:
                return conversion.OperatorMethod is null || IsPlainSpanMember(semantics, conversion.OperatorMethod, conversion.Type);
            case IBinaryOperation binary:
                return binary.OperatorMethod is null;
            case IInvocationOperation invocation:
                return IsPlainSpanMember(semantics, invocation.TargetMethod, invocation.Type)
                       && !invocation.TargetMethod.ReturnsByRef && !invocation.TargetMethod.ReturnsByRefReadonly
                       && !semantics.Types.CanHoldView(invocation.Type)
                       && invocation.Type?.IsRefLikeType != true;
            case IPropertyReferenceOperation property:
                return property.Property.GetMethod is { } getter
                       && IsPlainSpanMember(semantics, getter, property.Type)
                       && !IsConfigured(semantics, property.Property)
                       && !semantics.Types.CanHoldView(property.Type);
            default:
                return false;
        }
    }

    /// <summary>A member of the span types themselves that no option names as a guest call, view source or sink.</summary>
    private static bool IsPlainSpanMember(WasmViewSemantics semantics, IMethodSymbol method, ITypeSymbol? resultType)
        => semantics.Symbols.IsSpanLike(method.ContainingType)
           && !IsConfigured(semantics, method)
           && resultType?.TypeKind != TypeKind.Delegate;

    private static bool IsConfigured(WasmViewSemantics semantics, ISymbol member)
    {
        var configured = semantics.Configured;
        return configured.IsGuestCall(member) || configured.IsViewSource(member) || configured.IsEscapeSink(member) || configured.IsDeferredSink(member);
    }
}
