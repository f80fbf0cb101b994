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
/// Fixes WVA001 by copying the view where it is obtained (<c>.ToArray()</c>, or a pooled lease
/// copy when the project references the runtime companion library), by obtaining the view again
/// right before the stale use where its source can be evaluated again with the same meaning, by
/// making the guest calls of the statement that obtains it first, or by making the read the stale
/// use is part of before the guest call.
/// </summary>
/// <remarks>
/// Each finding is offered the strategies that keep its meaning, in this order; the first one
/// offered carries <see cref="FirstFixKey"/>, so that Fix All of it (and <c>dotnet format</c>)
/// applies each finding's own first fix (see <see cref="StrategyFixes"/>).
/// </remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(StaleViewAfterGuestCallFixer)), Shared]
public sealed class StaleViewAfterGuestCallFixer : CodeFixProvider
{
    /// <summary>The key of the first fix each finding offers: Fix All of it applies each finding's first fix.</summary>
    public const string FirstFixKey = RuleIdentifiers.StaleViewAfterGuestCall + ".FirstFix";
    public const string CopyToArrayKey = RuleIdentifiers.StaleViewAfterGuestCall + ".CopyToArray";
    public const string LeaseCopyKey = RuleIdentifiers.StaleViewAfterGuestCall + ".LeaseCopy";
    public const string ReacquireKey = RuleIdentifiers.StaleViewAfterGuestCall + ".Reacquire";
    public const string CallFirstKey = RuleIdentifiers.StaleViewAfterGuestCall + ".CallFirst";
    public const string CopyInHelperKey = RuleIdentifiers.StaleViewAfterGuestCall + ".CopyInHelper";
    public const string ObtainInFunctionKey = RuleIdentifiers.StaleViewAfterGuestCall + ".ObtainInFunction";
    public const string KeepOffsetKey = RuleIdentifiers.StaleViewAfterGuestCall + ".KeepOffset";
    public const string CopyStructKey = RuleIdentifiers.StaleViewAfterGuestCall + ".CopyStruct";
    public const string ReadBeforeCallKey = RuleIdentifiers.StaleViewAfterGuestCall + ".ReadBeforeCall";
    public const string RebaseKey = RuleIdentifiers.StaleViewAfterGuestCall + ".Rebase";
    public const string CopyAwaitedKey = RuleIdentifiers.StaleViewAfterGuestCall + ".CopyAwaited";
    public const string CopyInIteratorKey = RuleIdentifiers.StaleViewAfterGuestCall + ".CopyInIterator";
    public const string RebuildSlotKey = RuleIdentifiers.StaleViewAfterGuestCall + ".RebuildSlot";
    public const string CopyStreamKey = RuleIdentifiers.StaleViewAfterGuestCall + ".CopyStream";
    public const string ReacquireFromKeptInputsKey = RuleIdentifiers.StaleViewAfterGuestCall + ".ReacquireFromKeptInputs";
    public const string ReacquireAtKeptAddressKey = RuleIdentifiers.StaleViewAfterGuestCall + ".ReacquireAtKeptAddress";
    public const string KeepOffsetInPublicMemberKey = RuleIdentifiers.StaleViewAfterGuestCall + ".KeepOffsetInPublicMember";

    private static readonly IReadOnlyList<FixStrategy> Strategies = new[]
    {
        new FixStrategy(CopyToArrayKey, "Copy the view when it is obtained", finding => Copy(finding, CopyStrategy.ToArray)),
        new FixStrategy(LeaseCopyKey, "Use a pooled lease copy", finding => FixApplier.HasRuntimeLibrary(finding.Model.Compilation) ? Copy(finding, CopyStrategy.Lease) : null),
        new FixStrategy(ReacquireKey, "Obtain the view again after the call", Reacquire),
        new FixStrategy(CallFirstKey, "Call the guest before obtaining the view", CallFirst),

        // After obtaining again: a ref read after the call reads what is there then, which a copy
        // made before the call does not; the copy is the fix where the ref cannot be obtained again.
        new FixStrategy(CopyStructKey, "Copy the struct when it is obtained", finding => RefValueCopyPlanner.Plan(finding, AcquisitionNode(finding))),
        new FixStrategy(CopyInHelperKey, "Make the helper return a copy", HelperCopyPlanner.Plan),
        new FixStrategy(ObtainInFunctionKey, "Obtain the view where the lambda runs", CapturedSourcePlanner.Plan),
        new FixStrategy(KeepOffsetKey, "Keep the guest offset instead of the pointer", finding => LocalOffsetMapPlanner.PlanForRead(finding) ?? OffsetSlotPlanner.PlanForRead(finding) ?? NullableOffsetLocalPlanner.Plan(finding)),

        // Last: it only adds reach, keyed on the stale use rather than on what holds the view.
        new FixStrategy(ReadBeforeCallKey, "Read the value before the call", finding => ReadBeforeCallPlanner.Plan(finding) is { } plan ? new FixEdit[] { new ReadBeforeCallEdit(plan, finding.CancellationToken) } : null),

        // After the fixes that existed before it, so that their findings keep their first fix: a
        // pointer whose source cannot run again keeps its guest offset and is rebased after the call.
        new FixStrategy(RebaseKey, "Rebase the pointer on the memory after the call", finding => PointerRebasePlanner.Plan(finding) ?? LocalOffsetMapPlanner.PlanRebasedForRead(finding) ?? PointerRebasePlanner.PlanBound(finding)),
        new FixStrategy(CopyAwaitedKey, "Copy the view when it is awaited", CopyAwaited),
        new FixStrategy(CopyInIteratorKey, "Make the iterator yield copies", HelperCopyPlanner.PlanIterator),
        new FixStrategy(RebuildSlotKey, "Build the struct again over the address it holds", SlotRebuildPlanner.Plan),
        new FixStrategy(CopyStreamKey, "Copy the stream's bytes when it is obtained", StreamLocalCopyPlanner.Plan),
        new FixStrategy(ReacquireFromKeptInputsKey, "Obtain the view again after the call", ReacquireFromKeptInputs),
        new FixStrategy(ReacquireAtKeptAddressKey, "Keep the address the helper moved to and obtain the ref again there", SlotRebuildPlanner.PlanKeptAddress),
        new FixStrategy(KeepOffsetInPublicMemberKey, "Keep the guest offset in the public member instead of the pointer (changes its type)", OffsetSlotPlanner.PlanPublicForHeldObjects, OffsetSlotPlanner.PublicTitleForHeldObjects),
    };

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.StaleViewAfterGuestCall);

    private static readonly StrategyFixes Fixes = new(_ => Strategies, _ => FirstFixKey);

    public override FixAllProvider GetFixAllProvider() => Fixes.CreateFixAllProvider();

    public override System.Threading.Tasks.Task RegisterCodeFixesAsync(CodeFixContext context) => Fixes.RegisterAsync(context);

    private static IReadOnlyList<FixEdit>? Copy(FindingContext finding, CopyStrategy strategy)
    {
        if (AcquisitionNode(finding) is { } acquisition
            && ViewCopyPlanner.Plan(finding.Model, finding.Semantics, acquisition, strategy, finding.CancellationToken) is { } plan)
        {
            return IsFilledElsewhere(finding, acquisition) || IsReassigned(finding, plan) ? null : new FixEdit[] { new CopyEdit(plan) };
        }

        if (strategy != CopyStrategy.ToArray)
        {
            return null;
        }

        // previous = block in a loop: the local that outlives the guest call is copied where it takes the view.
        if (ViewCopyPlanner.PlanWhereAssigned(finding) is { } plans)
        {
            return plans.Select(each => (FixEdit)new CopyEdit(each)).ToArray();
        }

        // A view stream: a MemoryStream over a copy, where it is created; a foreach's view, first in its body.
        return StreamCopyPlanner.Plan(finding) ?? ForEachCopyPlanner.Plan(finding);
    }

    /// <summary>
    /// A view a task carries (<c>var tile = await RenderAsync(c);</c>), copied where the await hands
    /// it over, with the conditions of the copy where a view is obtained: <c>(await RenderAsync(c)).ToArray()</c>.
    /// Not where a guest call on the way to the use is given the view or what it was obtained from
    /// (<c>Warm(c.X + 1)</c> after <c>RenderAsync(c)</c>): the use reads the guest's output there.
    /// </summary>
    private static IReadOnlyList<FixEdit>? CopyAwaited(FindingContext finding)
    {
        if (AcquisitionNode(finding) is not ExpressionSyntax acquisition
            || acquisition.Parent is not AwaitExpressionSyntax
            || finding.Facts is not { InvalidatedBy: not null } facts
            || finding.Location is not ExpressionSyntax use
            || acquisition.FirstAncestorOrSelf<StatementSyntax>() is not { } obtained
            || SyntaxHelpers.EnclosingFunction(use) is not { } function
            || SyntaxHelpers.EnclosingFunction(acquisition) != function
            || ReadBeforeCallPlanner.GuestMayWriteWhatIsRead(finding.Model, finding.Semantics, facts, use, use, obtained, function, finding.CancellationToken)
            || ViewCopyPlanner.Plan(finding.Model, finding.Semantics, acquisition, CopyStrategy.ToArray, finding.CancellationToken, throughAwait: true) is not { } plan)
        {
            return null;
        }

        return IsFilledElsewhere(finding, acquisition) || IsReassigned(finding, plan) ? null : new FixEdit[] { new CopyEdit(plan) };
    }

    private static IReadOnlyList<FixEdit>? Reacquire(FindingContext finding)
    {
        if (ViewReacquirePlanner.Plan(finding) is not { } plan)
        {
            // Where no statement can go before the use (a loop condition, a filter, an arm), the
            // view is obtained again in place of the stale reference.
            return ViewReacquirePlanner.PlanInPlace(finding) is { } inPlace ? new FixEdit[] { new ReplaceEdit(inPlace.Use, inPlace.Source) } : null;
        }

        return ReacquireEdits(finding, plan);
    }

    private static IReadOnlyList<FixEdit> ReacquireEdits(FindingContext finding, ReacquirePlan plan)
    {
        var reacquire = new ReacquireEdit(plan, finding.Semantics, finding.Model);
        return plan.InputsFirst is { } inputs ? new FixEdit[] { new InputsFirstEdit(inputs), reacquire } : new FixEdit[] { reacquire };
    }

    /// <summary>
    /// Obtained again where the memory field, or the guest call added to the pointer, is kept in a
    /// local where the view is obtained (<c>var memory = _memory;</c>); where the view cannot be
    /// obtained again otherwise, before the use or in its place.
    /// </summary>
    private static IReadOnlyList<FixEdit>? ReacquireFromKeptInputs(FindingContext finding)
        => ViewReacquirePlanner.PlanInPlace(finding) is null && ViewReacquirePlanner.PlanWithWiderInputs(finding) is { } plan ? ReacquireEdits(finding, plan) : null;

    /// <summary>
    /// The guest calls of the view's statement made first; else, where the view cannot be obtained
    /// again at the use (a lambda captures it), its declaration moved below the statements that call
    /// the guest (beside re-acquisition it would be the same change twice).
    /// </summary>
    private static IReadOnlyList<FixEdit>? CallFirst(FindingContext finding)
    {
        if (GuestCallHoistPlanner.Plan(finding) is { } plan)
        {
            return new FixEdit[] { new HoistEdit(plan) };
        }

        return ViewReacquirePlanner.Plan(finding) is null ? DeclarationMovePlanner.Plan(finding) : null;
    }

    /// <summary>
    /// A local declared from the view and given another one later (<c>last = _dsp.Frame(n)</c> in
    /// a loop): a copy where it is declared leaves the other view stale where the finding reads it.
    /// </summary>
    private static bool IsReassigned(FindingContext finding, CopyPlan plan)
    {
        if (plan.Declarator is not { } declarator
            || finding.Model.GetDeclaredSymbol(declarator, finding.CancellationToken) is not ILocalSymbol local
            || SyntaxHelpers.EnclosingFunction(declarator) is not { } body)
        {
            return false;
        }

        return ViewReacquirePlanner.References(finding.Model, local, body, finding.CancellationToken)
            .Any(name => name.Parent is AssignmentExpressionSyntax assignment && assignment.Left == name && !Mentions(assignment.Right, local.Name)
                         || name.Parent is ArgumentSyntax { RefKindKeyword.RawKind: not 0 });

        // view = view.Slice(2): a part of the copy is still a copy.
        static bool Mentions(ExpressionSyntax expression, string name)
            => expression.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.ValueText == name);
    }

    /// <summary>
    /// A collection of views read stale (<c>byZoom.Values</c>) that other statements fill too
    /// (<c>byZoom.Add(zoom + 1, Render(...))</c>): a copy where one of its views is obtained leaves
    /// the others stale, so the copy is not this finding's fix.
    /// </summary>
    private static bool IsFilledElsewhere(FindingContext finding, SyntaxNode acquisition)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        if (finding.Location is not IdentifierNameSyntax name
            || model.GetSymbolInfo(name, cancellationToken).Symbol is not ILocalSymbol holder
            || !finding.Semantics.Types.IsContainerOfViews(holder.Type)
            || holder.DeclaringSyntaxReferences.Length != 1
            || SyntaxHelpers.EnclosingFunction(holder.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken)) is not { } body)
        {
            return false;
        }

        foreach (var node in body.DescendantNodes())
        {
            if (node.Span.Contains(acquisition.Span))
            {
                continue;
            }

            // holder.Add(...), holder[key] = ..., or its declaration with an initializer that fills it.
            var filled = node switch
            {
                InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax receiver }, ArgumentList.Arguments.Count: > 0 } invocation
                    => receiver.Identifier.ValueText == holder.Name
                       && model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol method
                       && finding.Semantics.EscapeSinks.IsStoringCall(method)
                       && IsHolder(model.GetSymbolInfo(receiver, cancellationToken).Symbol),
                AssignmentExpressionSyntax { Left: ElementAccessExpressionSyntax { Expression: IdentifierNameSyntax target } }
                    => target.Identifier.ValueText == holder.Name && IsHolder(model.GetSymbolInfo(target, cancellationToken).Symbol),
                VariableDeclaratorSyntax { Initializer.Value: BaseObjectCreationExpressionSyntax { Initializer.Expressions.Count: > 0 } } declarator
                    => declarator.Identifier.ValueText == holder.Name && IsHolder(model.GetDeclaredSymbol(declarator, cancellationToken)),
                _ => false,
            };

            if (filled)
            {
                return true;
            }
        }

        return false;

        bool IsHolder(ISymbol? symbol) => SymbolEqualityComparer.Default.Equals(symbol, holder);
    }

    /// <summary>Where the view was obtained: the expression, or the <c>out</c> argument that receives it.</summary>
    private static SyntaxNode? AcquisitionNode(FindingContext finding)
    {
        if (finding.Facts?.Acquisition.Syntax is { } syntax && syntax.SyntaxTree == finding.Root.SyntaxTree)
        {
            return syntax is ArgumentSyntax or ExpressionSyntax ? syntax : null;
        }

        var additional = finding.Diagnostic.AdditionalLocations;
        if (additional.Count == 0 || additional[0].SourceTree != finding.Root.SyntaxTree)
        {
            return null;
        }

        var span = additional[0].SourceSpan;
        var node = finding.Root.FindNode(span, getInnermostNodeForTie: true);
        while (node.Span != span && node.Parent is not null && node.Parent.Span == span)
        {
            node = node.Parent;
        }

        return node is ArgumentSyntax or ExpressionSyntax ? node : null;
    }
}
