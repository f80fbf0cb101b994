using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using WasmViewAnalyzers.CodeFixes.Internals;

namespace WasmViewAnalyzers.CodeFixes.Rules;

/// <summary>
/// Fixes WVA002 (and the archive hand-offs WVA003/WVA004) by handing over a copy: <c>.ToArray()</c>
/// for a memory or a span, a <c>MemoryStream</c> over a copy of the bytes for an
/// <c>UnmanagedMemoryStream</c> (an argument, or the stream a <c>CopyTo</c> reads), each part of a
/// tuple that is a view. Offered only where the copy compiles in place, the call still binds to the
/// same method, and a copied stream is not read again (see <see cref="HandoverCopyPlanner"/>).
/// </summary>
/// <remarks>
/// <para>The contract with the rules: <c>AdditionalLocations[0]</c> of the diagnostic is the
/// expression whose value is handed over (the one a copy replaces), and the engine's facts about
/// the finding say where the view was obtained and what it is.</para>
/// <para>WVA004 (a writer that reads the view right away) gets its fixes under a title that says
/// they are optional and keys of its own, so that Fix All of the required copies never applies
/// them. Roslyn 4.8 offers third-party fixers no priority API, so the title carries that instead.</para>
/// </remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CopyViewBeforeHandoverFixer)), Shared]
public sealed class CopyViewBeforeHandoverFixer : CodeFixProvider
{
    /// <summary>The key of the first fix each WVA002 and WVA003 finding offers.</summary>
    public const string CopyKey = "WVA.CopyBeforeHandover";

    /// <summary>The key of the first fix each WVA004 finding offers.</summary>
    public const string OptionalCopyKey = "WVA.CopyBeforeHandover.Optional";

    private const string CopyTitle = "Copy the view before handing it over";
    private const string OptionalSuffix = " (optional: the writer reads it right away)";

    /// <summary>The rule whose fixes are offered but not preferred (the writer reads the view before any guest call can run).</summary>
    private const string DirectWriteRuleId = RuleIdentifiers.ViewWrittenToCompressor;

    private static readonly IReadOnlyList<FixStrategy> Required = new[]
    {
        new FixStrategy(CopyKey + ".InPlace", CopyTitle, CopyWhereObtainedOrInPlace),
        new FixStrategy(CopyKey + ".InHelper", "Make the helper return a copy", HelperCopyPlanner.Plan),
        new FixStrategy(CopyKey + ".InDataSource", "Copy the bytes when the data source is created", DataSourceCopyPlanner.Plan),
    };

    /// <summary>WVA002 only: a lambda that runs later reads what is there when it runs, so it may obtain the view itself then.</summary>
    private static readonly IReadOnlyList<FixStrategy> Escapes = Required
        .Append(new FixStrategy(CopyKey + ".KeepOffset", "Keep the guest offset instead of the pointer", finding => OffsetSlotPlanner.Plan(finding) ?? LocalOffsetMapPlanner.PlanForStore(finding)))
        .Append(new FixStrategy(CopyKey + ".ObtainInFunction", "Obtain the view where the lambda runs", CapturedSourcePlanner.Plan))
        .Append(new FixStrategy(CopyKey + ".OffsetInFunction", "Keep the guest offset and obtain the pointer where the lambda runs", CapturedOffsetPlanner.Plan))
        .Append(new FixStrategy(CopyKey + ".KeepOffsetInPublicMember", "Keep the guest offset in the public member instead of the pointer (changes its type)", OffsetSlotPlanner.PlanPublic, OffsetSlotPlanner.PublicTitle))
        .ToArray();

    private static readonly IReadOnlyList<FixStrategy> Optional = Required
        .Select(strategy => new FixStrategy(strategy.EquivalenceKey.Replace(CopyKey, OptionalCopyKey), strategy.Title + OptionalSuffix, strategy.Plan))
        .ToArray();

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.ViewEscapesMethod, RuleIdentifiers.ViewHandedToDeferredArchiveWriter, RuleIdentifiers.ViewWrittenToCompressor);

    private static readonly StrategyFixes Fixes = new(
        diagnostic => diagnostic.Id == DirectWriteRuleId ? Optional : diagnostic.Id == RuleIdentifiers.ViewEscapesMethod ? Escapes : Required,
        diagnostic => diagnostic.Id == DirectWriteRuleId ? OptionalCopyKey : CopyKey);

    public override FixAllProvider GetFixAllProvider() => Fixes.CreateFixAllProvider();

    public override System.Threading.Tasks.Task RegisterCodeFixesAsync(CodeFixContext context) => Fixes.RegisterAsync(context);

    /// <summary>
    /// A view stream copied where it is created; else the handed value copied in place, unless it is
    /// a stream a helper returns that the helper can copy instead (copying it in place would take the
    /// stream's bytes through its pointer, and conflict with the helper's copy in a Fix All).
    /// </summary>
    private static IReadOnlyList<FixEdit>? CopyWhereObtainedOrInPlace(FindingContext finding)
    {
        if (StreamCopyPlanner.Plan(finding) is { } whereObtained)
        {
            return whereObtained;
        }

        return finding.Facts is { AcquisitionKind: Engine.Flow.AcquisitionKind.Helper, Kind: Engine.Flow.ViewKind.Stream } && HelperCopyPlanner.Plan(finding) is not null
            ? null
            : CopyInPlace(finding);
    }

    /// <summary>The handed value replaced by a copy of the same bytes, or a copy taken before the lambda that captures it.</summary>
    private static IReadOnlyList<FixEdit>? CopyInPlace(FindingContext finding)
    {
        if (HandedValue(finding) is not { } handed)
        {
            return null;
        }

        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;

        // A lambda handed to a writer that calls it later ((name, s) => output.CopyTo(s)): the view
        // it captures is what the writer reads, copied where the lambda is created.
        var writeDelegate = handed as AnonymousFunctionExpressionSyntax;

        // A view stream in a local, handed to a writer or read by one through a function that
        // captures it: copied where the local is created.
        if (finding.Diagnostic.Id != RuleIdentifiers.ViewEscapesMethod
            && StreamCreationCopyPlanner.Plan(finding, writeDelegate is null ? handed : CapturedReference(finding, writeDelegate) ?? handed) is { } atCreation)
        {
            return atCreation;
        }

        if (writeDelegate is not null && CapturedView(finding, writeDelegate) is { } capturedInside)
        {
            handed = capturedInside;
        }

        // A view captured by a lambda that runs later: a copy in the lambda would still be taken
        // when it runs; it has to be taken where the lambda is created. A stream of another type
        // a write delegate reads is copied into a MemoryStream before the delegate's statement.
        if (CapturedCopyPlanner.IsCapturedReference(model, handed, cancellationToken, out var captured, out var function))
        {
            if (CapturedCopyPlanner.Plan(model, finding.Semantics, captured!, function!, new List<string>(), cancellationToken) is { } copy)
            {
                return new FixEdit[] { new CapturedCopyEdit(copy) };
            }

            return writeDelegate is not null && function == writeDelegate ? StreamHandoffCopyPlanner.Plan(finding, handed, writeDelegate) : null;
        }

        if (HandoverCopyPlanner.Plan(model, finding.Semantics, handed, cancellationToken) is { } plan)
        {
            return plan.Select(replacement => (FixEdit)new ReplaceEdit(replacement.Original, replacement.Copy)).ToArray();
        }

        // A view stream a call returns, copied from a local just before the statement; a stream of
        // any type, its bytes copied into a MemoryStream before the statement.
        return StreamCallCopyPlanner.Plan(finding, handed) ?? StreamHandoffCopyPlanner.Plan(finding, handed);
    }

    /// <summary>The first use in <paramref name="lambda"/> of the view the finding names, captured from outside it.</summary>
    private static ExpressionSyntax? CapturedReference(FindingContext finding, AnonymousFunctionExpressionSyntax lambda)
        => finding.Diagnostic.Properties.TryGetValue(Engine.FindingProperties.View, out var name)
            ? lambda.DescendantNodes().OfType<IdentifierNameSyntax>().FirstOrDefault(reference =>
                reference.Identifier.ValueText == name
                && CapturedCopyPlanner.IsCapturedReference(finding.Model, reference, finding.CancellationToken, out _, out var function)
                && function == lambda)
            : null;

    /// <summary>
    /// The captured use of the view a copy through its pointer can replace: not a stream from a
    /// helper the fix for another finding may make return a copy, which has no pointer then.
    /// </summary>
    private static ExpressionSyntax? CapturedView(FindingContext finding, AnonymousFunctionExpressionSyntax lambda)
        => CapturedReference(finding, lambda) is { } reference
           && !(finding.Model.GetSymbolInfo(reference, finding.CancellationToken).Symbol!.DeclaringSyntaxReferences[0].GetSyntax(finding.CancellationToken) is VariableDeclaratorSyntax { Initializer.Value: InvocationExpressionSyntax source }
                && StreamCallCopyPlanner.MayReturnACopyInstead(finding.Model, source, finding.CancellationToken))
            ? reference
            : null;

    /// <summary>The expression whose value is handed over: <c>AdditionalLocations[0]</c>.</summary>
    private static ExpressionSyntax? HandedValue(FindingContext finding)
    {
        var additional = finding.Diagnostic.AdditionalLocations;
        if (additional.Count == 0 || additional[0].SourceTree != finding.Root.SyntaxTree)
        {
            return null;
        }

        var span = additional[0].SourceSpan;
        var node = finding.Root.FindNode(span, getInnermostNodeForTie: true);
        var handed = node is ArgumentSyntax argument ? argument.Expression : node as ExpressionSyntax;
        while (handed is not null && handed.Span != span && handed.Parent is ExpressionSyntax parent && parent.Span == span)
        {
            handed = parent;
        }

        return handed;
    }
}
