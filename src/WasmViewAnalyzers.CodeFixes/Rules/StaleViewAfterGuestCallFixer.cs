using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using WasmViewAnalyzers.CodeFixes.Internals;

namespace WasmViewAnalyzers.CodeFixes.Rules;

/// <summary>
/// Fixes WVA001 by copying the view where it is obtained (<c>.ToArray()</c>, or a pooled lease
/// copy when the project references the runtime companion library), or by obtaining the view
/// again right before the stale use, where its source can be evaluated again with the same meaning.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(StaleViewAfterGuestCallFixer)), Shared]
public sealed class StaleViewAfterGuestCallFixer : CodeFixProvider
{
    public const string CopyToArrayKey = RuleIdentifiers.StaleViewAfterGuestCall + ".CopyToArray";
    public const string LeaseCopyKey = RuleIdentifiers.StaleViewAfterGuestCall + ".LeaseCopy";
    public const string ReacquireKey = RuleIdentifiers.StaleViewAfterGuestCall + ".Reacquire";
    public const string CallFirstKey = RuleIdentifiers.StaleViewAfterGuestCall + ".CallFirst";

    private const string CopyToArrayTitle = "Copy the view when it is obtained";
    private const string LeaseCopyTitle = "Use a pooled lease copy";
    private const string ReacquireTitle = "Obtain the view again after the call";
    private const string CallFirstTitle = "Call the guest before obtaining the view";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.StaleViewAfterGuestCall);

    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(async (context, document, diagnostics) =>
    {
        if (context.CodeActionEquivalenceKey == CallFirstKey)
        {
            var hoists = await GuestCallHoistPlanner.PlanAsync(document, diagnostics, context.CancellationToken).ConfigureAwait(false);
            return hoists.IsEmpty ? document : await GuestCallHoistPlanner.ApplyAsync(document, hoists, context.CancellationToken).ConfigureAwait(false);
        }

        if (context.CodeActionEquivalenceKey == ReacquireKey)
        {
            var reacquisitions = await ViewReacquireRewriter.PlanAsync(document, diagnostics, context.CancellationToken).ConfigureAwait(false);
            return reacquisitions.IsEmpty ? document : await ViewReacquireRewriter.ApplyAsync(document, reacquisitions, context.CancellationToken).ConfigureAwait(false);
        }

        var strategy = context.CodeActionEquivalenceKey == LeaseCopyKey ? CopyStrategy.Lease : CopyStrategy.ToArray;
        var plans = await ViewCopyRewriter.PlanAsync(document, diagnostics, strategy, context.CancellationToken).ConfigureAwait(false);
        return await ViewCopyRewriter.ApplyAsync(document, plans, context.CancellationToken).ConfigureAwait(false);
    });

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var document = context.Document;
        foreach (var diagnostic in context.Diagnostics)
        {
            // Where no copy keeps meaning (a view written through, a ref, a pointer), obtaining the
            // view again is the only fix, so it comes first; beside a copy it comes after.
            var reacquire = await ViewReacquireRewriter.PlanAsync(document, new[] { diagnostic }, context.CancellationToken).ConfigureAwait(false);
            var toArray = await ViewCopyRewriter.PlanAsync(document, new[] { diagnostic }, CopyStrategy.ToArray, context.CancellationToken).ConfigureAwait(false);
            if (!toArray.IsEmpty)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(CopyToArrayTitle, ct => ViewCopyRewriter.ApplyAsync(document, toArray, ct), CopyToArrayKey),
                    diagnostic);
            }

            var lease = await ViewCopyRewriter.PlanAsync(document, new[] { diagnostic }, CopyStrategy.Lease, context.CancellationToken).ConfigureAwait(false);
            if (!lease.IsEmpty)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(LeaseCopyTitle, ct => ViewCopyRewriter.ApplyAsync(document, lease, ct), LeaseCopyKey),
                    diagnostic);
            }

            if (!reacquire.IsEmpty)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(ReacquireTitle, ct => ViewReacquireRewriter.ApplyAsync(document, reacquire, ct), ReacquireKey),
                    diagnostic);
            }

            // new UnmanagedMemoryStream((byte*)memory.GetPointer() + output, outputLength()): the
            // guest call in a later argument runs after the view is obtained.
            var hoist = await GuestCallHoistPlanner.PlanAsync(document, new[] { diagnostic }, context.CancellationToken).ConfigureAwait(false);
            if (!hoist.IsEmpty)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(CallFirstTitle, ct => GuestCallHoistPlanner.ApplyAsync(document, hoist, ct), CallFirstKey),
                    diagnostic);
            }
        }
    }
}
