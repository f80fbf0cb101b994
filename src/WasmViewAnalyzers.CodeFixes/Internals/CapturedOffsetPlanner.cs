using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// A pointer into guest memory captured by a lambda that reads it when it runs (a timer's callback,
/// a host function, an event handler, a delegate kept in a field), where its source cannot be
/// evaluated again there (the offset comes from a guest call, <c>_memory.GetPointer() + _resultPtr()</c>):
/// the local keeps the guest offset instead, computed where the pointer was
/// (<c>var timesOffset = _resultPtr();</c>), and each use obtains the pointer from the same memory
/// (<c>((long*)(_memory.GetPointer() + timesOffset))[0]</c>). That reads the same bytes wherever the
/// memory has not moved, and the right ones where it has.
/// </summary>
/// <remarks>
/// Offered where the local is declared once as the memory's pointer plus an offset, never written,
/// only read as a pointer (not compared, not taken by reference) and only in the lambda, its source
/// cannot be evaluated again there (else <see cref="CapturedSourcePlanner"/> is the fix), and the
/// memory is one the lambda still names when it runs: a readonly field, or a parameter or local never written.
/// </remarks>
internal static class CapturedOffsetPlanner
{
    public static IReadOnlyList<FixEdit>? Plan(FindingContext finding)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        if (CapturedSourcePlanner.Captured(finding) is not ({ IsRef: false, IsConst: false, IsUsing: false } local, { } function)
            || !OffsetSlotPlanner.IsPointerOrAddress(local.Type)
            || !CapturedSourcePlanner.ReadsWhenItRuns(model, function, cancellationToken)
            || CapturedSourcePlanner.SoleDeclaration(local, cancellationToken) is not var (source, statement, body)
            || OffsetSlotPlanner.Decompose(model, source, cancellationToken) is not { MemoryOfAnotherObject: false, Local: null } parts
            || parts.OffsetType.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_UInt32 or SpecialType.System_IntPtr)
            || !NamesTheSameMemoryLater(model, parts.Memory, cancellationToken))
        {
            return null;
        }

        // A use outside the lambda would read the pointer obtained again where it was the one taken
        // before; where the source can be evaluated again, obtaining the view in the lambda is the fix.
        var references = ViewReacquirePlanner.References(model, local, body, cancellationToken).ToList();
        var name = local.Name + "Offset";
        if (references.Count == 0
            || references.Any(reference => !function.Span.Contains(reference.Span) || ViewReacquirePlanner.IsWrite(reference) || !OffsetSlotPlanner.IsPointerRead(reference))
            || CapturedSourcePlanner.Plan(finding) is not null
            || model.LookupSymbols(statement.SpanStart, name: name).Length > 0
            || references.Any(reference => model.LookupSymbols(reference.SpanStart, name: name).Length > 0))
        {
            return null;
        }

        var offsetType = parts.OffsetType.SpecialType == SpecialType.System_IntPtr ? "nint" : parts.OffsetType.ToMinimalDisplayString(model, statement.SpanStart);
        var kept = ParseStatement($"{offsetType} {name} = {parts.Offset.WithoutTrivia()};").WithTriviaFrom(statement);
        var replacements = new List<(SyntaxNode Original, SyntaxNode Replacement)> { (statement, kept) };
        replacements.AddRange(references.Select(reference => ((SyntaxNode)reference, (SyntaxNode)OffsetSlotPlanner.PointerAgain(model, parts.Memory, IdentifierName(name).WithTriviaFrom(reference), local.Type))));
        return OffsetSlotPlanner.EditsIfTheyCompile(model, replacements, new List<StatementSyntax>(), cancellationToken);
    }

    /// <summary>
    /// Whether <paramref name="memory"/> names, whenever the lambda runs, the memory it named where
    /// the pointer was taken: a readonly field (of this object, or static), a parameter or a local its
    /// function never writes.
    /// </summary>
    private static bool NamesTheSameMemoryLater(SemanticModel model, ExpressionSyntax memory, CancellationToken cancellationToken)
    {
        var symbol = model.GetSymbolInfo(memory, cancellationToken).Symbol;
        switch (symbol)
        {
            case IFieldSymbol { IsReadOnly: true }:
                return memory is IdentifierNameSyntax || memory is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax };
            case ILocalSymbol or IParameterSymbol:
                return OffsetSlotPlanner.IsUnwrittenVariable(model, memory, symbol, cancellationToken);
            default:
                return false;
        }
    }
}
