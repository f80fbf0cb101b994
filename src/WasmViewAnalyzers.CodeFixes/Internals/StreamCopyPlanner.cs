using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;
using WasmViewAnalyzers.Engine;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// A view stream copied where it is created: <c>new UnmanagedMemoryStream((byte*)memory.GetPointer()
/// + address, length)</c> becomes <c>new MemoryStream(memory.GetSpan(address, length).ToArray())</c>,
/// the way a person copies. The stream object is the same from there on (its position, its reads),
/// only over the host's own bytes; a local or private field typed <c>UnmanagedMemoryStream</c> that
/// receives it becomes a <c>MemoryStream</c>. Offered for a read-only view stream (its constructor
/// takes no write access) wherever the result still compiles, and where the copy is not made after a
/// guest call the expression runs (<c>new UnmanagedMemoryStream(p + output, outputLength())</c> is
/// copied as <c>memory.GetSpan(output, outputLength())</c>, which obtains the bytes after the call).
/// </summary>
internal static class StreamCopyPlanner
{
    public static IReadOnlyList<FixEdit>? Plan(FindingContext finding)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        if (finding.Facts is not { } facts
            || facts.Acquisition.Syntax.SyntaxTree != model.SyntaxTree
            || CreationAround(model, finding.Semantics, facts.Acquisition.Syntax, cancellationToken) is not { } creation)
        {
            return null;
        }

        return PlanCopy(finding, creation);
    }

    /// <summary>The copy of the view stream <paramref name="creation"/> creates, and the retyping of what receives it.</summary>
    public static IReadOnlyList<FixEdit>? PlanCopy(FindingContext finding, BaseObjectCreationExpressionSyntax creation)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        var arguments = creation.ArgumentList!.Arguments;
        var pointer = arguments[0].Expression;
        var length = arguments[1].Expression;
        var lengthIsInt = model.GetTypeInfo(length, cancellationToken).Type?.SpecialType == SpecialType.System_Int32;
        var span = HandoverCopyPlanner.GuestSpanOf(model, pointer, length, lengthIsInt, cancellationToken);

        // new UnmanagedMemoryStream(p + output, outputLength()): over a span at p, the copy would read after the call.
        if (span is null && arguments.Skip(1).Any(argument => ViewReacquirePlanner.ContainsGuestCall(model, finding.Semantics, argument, cancellationToken)))
        {
            return null;
        }

        var copy = HandoverCopyPlanner.MemoryStreamOverGuest(model, pointer, length, cancellationToken).WithTriviaFrom(creation);
        var replacements = new List<(SyntaxNode Original, SyntaxNode Replacement)> { (creation, copy) };
        if (ReceivingType(model, creation, cancellationToken) is { } receiving)
        {
            replacements.Add((receiving, ParseTypeName(receiving is NullableTypeSyntax ? "System.IO.MemoryStream?" : "System.IO.MemoryStream").WithTriviaFrom(receiving).WithAdditionalAnnotations(Simplifier.Annotation)));
        }

        // A tuple or collection typed to hold the view stream is typed to hold a Stream.
        return SpeculativeCompilation.RetypingStreamSlots(model.Compilation, replacements, new[] { model.SyntaxTree }, cancellationToken) is { } compiling
            ? compiling.Select(r => (FixEdit)new ReplaceEdit(r.Original, r.Replacement)).ToList()
            : null;
    }

    /// <summary>The <c>new UnmanagedMemoryStream(pointer, length)</c> (read-only) whose pointer argument holds <paramref name="acquisition"/>.</summary>
    public static BaseObjectCreationExpressionSyntax? CreationAround(SemanticModel model, WasmViewSemantics semantics, SyntaxNode acquisition, CancellationToken cancellationToken)
    {
        foreach (var creation in acquisition.AncestorsAndSelf().OfType<BaseObjectCreationExpressionSyntax>())
        {
            if (creation.ArgumentList is { Arguments: { Count: 2 or 4 } arguments }
                && arguments[0].Span.Contains(acquisition.Span)
                && semantics.Symbols.IsUnmanagedMemoryStream(model.GetTypeInfo(creation, cancellationToken).Type)
                && model.GetSymbolInfo(creation, cancellationToken).Symbol is IMethodSymbol { Parameters: { Length: > 0 } parameters } && parameters[0].Type.TypeKind == TypeKind.Pointer
                && (arguments.Count == 2 || IsReadAccess(model, arguments[3].Expression, cancellationToken)))
            {
                return creation;
            }
        }

        return null;
    }

    private static bool IsReadAccess(SemanticModel model, ExpressionSyntax access, CancellationToken cancellationToken)
        => model.GetConstantValue(access, cancellationToken) is { HasValue: true, Value: int value } && value == (int)System.IO.FileAccess.Read;

    /// <summary>The declared type of the local or private field that receives the stream, where it says <c>UnmanagedMemoryStream</c>.</summary>
    private static TypeSyntax? ReceivingType(SemanticModel model, BaseObjectCreationExpressionSyntax creation, CancellationToken cancellationToken)
    {
        ISymbol? receiver = creation.Parent switch
        {
            EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator } => model.GetDeclaredSymbol(declarator, cancellationToken),
            AssignmentExpressionSyntax assignment when assignment.Right == creation => model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol,
            _ => null,
        };

        var type = receiver switch
        {
            ILocalSymbol local => local.Type,
            IFieldSymbol { DeclaredAccessibility: Accessibility.Private } field => field.Type,
            _ => null,
        };

        if (type is null || !WasmViewAnalyzers.Engine.Knowledge.WasmSymbols.TryCreate(model.Compilation)!.IsUnmanagedMemoryStream(type))
        {
            return null;
        }

        return receiver!.DeclaringSyntaxReferences.Length == 1
               && receiver.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Type: { IsVar: false } declared, Variables.Count: 1 } }
               && declared.SyntaxTree == creation.SyntaxTree
            ? declared
            : null;
    }
}
