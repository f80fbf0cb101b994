using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;
using WasmViewAnalyzers.Engine;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// One planned re-acquisition: <see cref="Reacquire"/> goes right before <see cref="Before"/>, the
/// statement that reads the stale view.
/// </summary>
internal sealed class ReacquirePlan
{
    public ReacquirePlan(StatementSyntax before, ILocalSymbol view, IReadOnlyList<StatementSyntax> reacquire, IReadOnlyList<(ExpressionSyntax Call, string Name, TypeSyntax? Type)> callsFirst, InputsFirst? inputsFirst)
    {
        Before = before;
        View = view;
        Reacquire = reacquire;
        CallsFirst = callsFirst;
        InputsFirst = inputsFirst;
    }

    /// <summary>Inputs of the view's source made first, into locals, where the view is first obtained (<see cref="Internals.InputsFirst"/>).</summary>
    public InputsFirst? InputsFirst { get; }

    public StatementSyntax Before { get; }

    /// <summary>
    /// Guest calls of <see cref="Before"/> made first, into locals, so that the view obtained again
    /// is obtained after them: <c>inv = new() { Args = CopyArgs(s) }</c> writes through the ref
    /// after <c>CopyArgs</c> ran. The local is typed <c>var</c> unless a type is given (the whole
    /// value of a write, target-typed: <c>Invocation invocationValue = new() { ... };</c>).
    /// </summary>
    public IReadOnlyList<(ExpressionSyntax Call, string Name, TypeSyntax? Type)> CallsFirst { get; }

    public ILocalSymbol View { get; }

    /// <summary>
    /// <c>view = memory.GetSpan(...);</c>, <c>inv = ref MemoryMarshal.AsRef&lt;T&gt;(...);</c>,
    /// <c>caller.TryGetMemorySpan(..., out span);</c>; for a view derived from another, that one first.
    /// </summary>
    public IReadOnlyList<StatementSyntax> Reacquire { get; }

    /// <summary>Several stale uses of one view in one statement share one re-acquisition.</summary>
    public (int Start, string Name) Key => (Before.SpanStart, View.Name);
}

/// <summary>
/// <c>var target = memory.GetSpan(decompressInto(size), size);</c> becomes
/// <c>var address = decompressInto(size); var target = memory.GetSpan(address, size);</c>: the inputs
/// of a view's source that cannot be evaluated again, made first into locals where the view is
/// first obtained, so that the view can be obtained again from the same address.
/// </summary>
internal sealed class InputsFirst
{
    public InputsFirst(LocalDeclarationStatementSyntax declaration, IReadOnlyList<(ExpressionSyntax Expression, string Name)> inputs, string viewName)
    {
        Declaration = declaration;
        Inputs = inputs;
        ViewName = viewName;
    }

    public LocalDeclarationStatementSyntax Declaration { get; }

    /// <summary>Each input and the name planned for it, unique in the document as it was.</summary>
    public IReadOnlyList<(ExpressionSyntax Expression, string Name)> Inputs { get; }

    public string ViewName { get; }

    /// <summary>
    /// The names the inputs get in <paramref name="application"/>: the planned ones, unless another
    /// edit of the same Fix All declared one already (two views of one method, each from an
    /// <c>address</c> made first: <c>frameAddress</c> for the second). Chosen once per application,
    /// for the declaration and every re-acquisition that uses them.
    /// </summary>
    public IReadOnlyDictionary<string, string> NamesIn(FixApplication application, CancellationToken cancellationToken)
    {
        // Keyed by the declaration: the stale uses of one view plan the same inputs, each its own InputsFirst.
        if (application.ChosenNames.TryGetValue(Declaration, out var chosen))
        {
            return chosen;
        }

        var names = new Dictionary<string, string>(System.StringComparer.Ordinal);
        foreach (var (_, planned) in Inputs)
        {
            var name = planned;
            if (application.DeclaredNamesAt(Declaration).Contains(name))
            {
                name = SyntaxHelpers.UniqueName(application.Model, Declaration.SpanStart, ViewName + char.ToUpperInvariant(planned[0]) + planned.Substring(1), cancellationToken, application.DeclaredNamesAt(Declaration));
            }

            application.DeclaredNamesAt(Declaration).Add(name);
            names[planned] = name;
        }

        application.ChosenNames[Declaration] = names;
        return names;
    }
}

/// <summary>
/// Decides whether a stale view can be obtained again right before the statement that reads it,
/// with the same meaning: the view is a local declared once from an expression, or given it by one
/// assignment every pass to the use runs (or the <c>out</c> span of <c>Caller.TryGetMemorySpan</c>),
/// that has no side effects and whose inputs —
/// locals, parameters, readonly fields, get-only auto-properties, constants — are not assigned
/// between where the view was obtained and that statement; and that statement runs no guest code
/// of its own before it reads the view. This is the fix for views that are written through, for
/// <c>ref</c> locals and for pointers, where a copy would drop writes or does not compile.
/// </summary>
internal static class ViewReacquirePlanner
{
    public static ReacquirePlan? Plan(FindingContext finding) => Plan(finding, widerInputs: false);

    /// <summary>
    /// The plan where only inputs kept first in the wider ways make one: a memory field set after
    /// construction kept in a local, the guest call of an operand beside the pointer it is added to.
    /// A strategy of its own, after the others, so that findings fixed otherwise keep their first fix.
    /// </summary>
    public static ReacquirePlan? PlanWithWiderInputs(FindingContext finding)
        => Plan(finding, widerInputs: false) is null ? Plan(finding, widerInputs: true) : null;

    private static ReacquirePlan? Plan(FindingContext finding, bool widerInputs)
    {
        var model = finding.Model;
        var semantics = finding.Semantics;
        var cancellationToken = finding.CancellationToken;
        if (finding.Facts is not { } facts || facts.Acquisition.Syntax.SyntaxTree != model.SyntaxTree)
        {
            return null;
        }

        var use = finding.Location;
        var acquisitionSpan = facts.Acquisition.Syntax.Span;
        if (use is not IdentifierNameSyntax name
            || model.GetSymbolInfo(name, cancellationToken).Symbol is not ILocalSymbol view
            || view.DeclaringSyntaxReferences.Length != 1)
        {
            return null;
        }

        var body = EnclosingFunction(view.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken));
        if (body is null || EnclosingFunction(name) != body || StatementBefore(name, body) is not { } before)
        {
            return null;
        }

        // The view itself, or a view derived from one that was (ref var header = ref
        // MemoryMarshal.AsRef<Header>(span)): then both are obtained again, the first one first.
        var sources = new List<(ILocalSymbol Local, SyntaxNode Source, StatementSyntax Reacquire)>();
        var source = Source(model, view, body, cancellationToken);
        if ((source is null || !IsObtainedAt(model, view, body, source.Value.Source, acquisitionSpan, cancellationToken))
            && AssignedBeforeTheUse(model, view, body, name, acquisitionSpan, cancellationToken) is { } assigned)
        {
            source = assigned;
        }

        if (source is null)
        {
            return null;
        }

        sources.Add((view, source.Value.Source, source.Value.Reacquire));
        if (!IsObtainedAt(model, view, body, source.Value.Source, acquisitionSpan, cancellationToken))
        {
            var roots = (model.GetOperation(Evaluated(source.Value.Source), cancellationToken)?.DescendantsAndSelf() ?? Enumerable.Empty<IOperation>())
                .OfType<ILocalReferenceOperation>()
                .Select(reference => reference.Local)
                .Where(local => !SymbolEqualityComparer.Default.Equals(local, view))
                .Distinct(SymbolEqualityComparer.Default)
                .Cast<ILocalSymbol>()
                .ToList();

            // var p = (byte*)basePtr + rrAt: the one local that holds the view, beside inputs of
            // types that hold no view (an address in an nint may be another view's).
            if (roots.Count > 1)
            {
                var holders = roots.Where(local => semantics.Types.CanHoldView(local.Type)).ToList();
                roots = holders.Count == 1 && Source(model, holders[0], body, cancellationToken) is { } each && IsObtainedAt(model, holders[0], body, each.Source, acquisitionSpan, cancellationToken)
                    ? holders
                    : new List<ILocalSymbol>();
            }

            if (roots.Count != 1
                || Source(model, roots[0], body, cancellationToken) is not { } rootSource
                || !IsObtainedAt(model, roots[0], body, rootSource.Source, acquisitionSpan, cancellationToken))
            {
                return null;
            }

            sources.Insert(0, (roots[0], rootSource.Source, rootSource.Reacquire));
        }

        // The statement comes after each whole source: not the one that declares the view.
        InputsFirst? inputsFirst = null;
        for (var i = 0; i < sources.Count; i++)
        {
            var (local, each, reacquire) = sources[i];
            if (before.SpanStart < each.Span.End
                || before.SpanStart < local.DeclaringSyntaxReferences[0].Span.End
                || IsRebound(model, local, body, local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken), each, before, cancellationToken))
            {
                return null;
            }

            if (IsReevaluable(model, semantics, Evaluated(each), before, cancellationToken))
            {
                continue;
            }

            // memory.GetSpan(decompressInto(size), size): the inputs that call the guest (or are
            // otherwise not pure) go into locals first; the view is then obtained from them again.
            // (byte*)memory.GetPointer() + Render(): the operand that calls the guest is made first
            // apart from the pointer only where the guest calls cannot simply go first (the
            // fix that comes before this one for the findings it fits).
            if (inputsFirst is not null
                || (InputsOf(model, semantics, local, each, before, acquisitionSpan, wider: false, cancellationToken)
                    ?? (widerInputs && GuestCallHoistPlanner.Plan(finding) is null ? InputsOf(model, semantics, local, each, before, acquisitionSpan, wider: true, cancellationToken) : null)) is not { } inputs)
            {
                return null;
            }

            inputsFirst = inputs;
            sources[i] = (local, each, reacquire.ReplaceNodes(
                reacquire.DescendantNodes().OfType<ExpressionSyntax>().Where(e => inputs.Inputs.Any(input => input.Expression.IsEquivalentTo(e, topLevel: false))),
                (original, _) => IdentifierName(inputs.Inputs.First(input => input.Expression.IsEquivalentTo(original, topLevel: false)).Name).WithTriviaFrom(original)));
        }

        return Placed(finding, name, before, sources, (source, at) => IsReevaluable(model, semantics, Evaluated(source), at, cancellationToken), inputsFirst);
    }

    /// <summary>
    /// Where the statements <paramref name="sources"/> planned go, from the statement that holds the
    /// use up to right after the last guest call before it: out of the blocks and loops around the
    /// use that run no guest code, while each source is still <paramref name="isReevaluableAt"/>
    /// there; or the guest calls of that statement made first. <see langword="null"/> where none keeps the meaning.
    /// </summary>
    internal static ReacquirePlan? Placed(
        FindingContext finding,
        IdentifierNameSyntax name,
        StatementSyntax before,
        IReadOnlyList<(ILocalSymbol Local, SyntaxNode Source, StatementSyntax Reacquire)> sources,
        System.Func<SyntaxNode, StatementSyntax, bool> isReevaluableAt,
        InputsFirst? inputsFirst)
    {
        var model = finding.Model;
        var semantics = finding.Semantics;
        var cancellationToken = finding.CancellationToken;
        if (finding.Facts is not { } facts || model.GetSymbolInfo(name, cancellationToken).Symbol is not ILocalSymbol view)
        {
            return null;
        }

        // foreach (var b in view) { convert(b); }: the loop reads the view on every turn, after the
        // guest calls of the turns before; obtaining it again before the loop changes nothing.
        if (before is CommonForEachStatementSyntax loop
            && loop.Expression.Span.Contains(name.Span)
            && (facts.InvalidatedBy is not { } invalidating || loop.Statement.Span.Contains(invalidating.Operation.Syntax.Span) || ContainsGuestCall(model, semantics, loop.Statement, cancellationToken)))
        {
            return null;
        }

        var callsFirst = new List<(ExpressionSyntax Call, string Name, TypeSyntax? Type)>();
        if (MayCallGuestBeforeUse(model, semantics, before, name, cancellationToken)
            && !IsReadIntoItsGuestCall(model, semantics, before, name, cancellationToken))
        {
            // inv = new() { Args = CopyArgs(s) }: C# fixes the location written before it runs the
            // right-hand side; made first, into a local, the call runs before the view is obtained again.
            if (CallsOfTheValueWritten(model, semantics, before, name, cancellationToken) is not { } calls)
            {
                return null;
            }

            callsFirst.AddRange(calls);
        }
        else
        {
            // Up to right after the last guest call: out of the loops and blocks around the use that
            // run no guest code on the way to it (a span written in a loop is obtained again once,
            // before the loop; a use at the top of an else, before the if).
            var atTheUse = before;
            while (Enclosing(before) is { } outer
                   && sources.All(each => outer.SpanStart >= each.Source.Span.End && outer.SpanStart >= each.Local.DeclaringSyntaxReferences[0].Span.End && isReevaluableAt(each.Source, outer))
                   && !CallsGuestOnTheWayTo(model, semantics, outer, before, cancellationToken))
            {
                before = outer;
            }

            // Then up the statement list to right after the last guest call: several views a call
            // leaves stale are obtained again together, under it, as a person writes it.
            before = RightAfterTheLastGuestCall(model, semantics, before, sources.Select(each => each.Source).Concat(sources.Select(each => (SyntaxNode)each.Reacquire)).ToList(), cancellationToken);

            // The engine's last guest call before the use, above it in source (the enumerator of a
            // foreach over an iterator that calls the guest, which no syntax shows): never above it.
            if (facts.View.LatestCall?.Operation.Syntax is { } latest
                && latest.SyntaxTree == name.SyntaxTree
                && latest.Span.End <= name.SpanStart
                && before.SpanStart < latest.Span.End
                && !before.Span.Contains(latest.Span))
            {
                if (atTheUse.SpanStart < latest.Span.End)
                {
                    return null;
                }

                before = atTheUse;
            }
        }

        return new ReacquirePlan(before, view, sources.Select(each => each.Reacquire.WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation)).ToList(), callsFirst, inputsFirst);
    }

    /// <summary>
    /// The stale reference itself replaced by the view's source, where no statement can go before the
    /// use or one would not help: a <c>while</c> condition whose loop calls the guest
    /// (<c>body.Read(_memory.GetSpan(buffer, ChunkSize))</c>), a <c>catch ... when</c> filter, a
    /// switch arm, an expression body, a branch of <c>?:</c>. The same conditions as the statement: a
    /// local declared once from a source that can be evaluated again with the same inputs there, never
    /// assigned again nor taken by reference; and nothing of the expression that holds the use calls
    /// the guest after it evaluates the source.
    /// </summary>
    public static (IdentifierNameSyntax Use, ExpressionSyntax Source)? PlanInPlace(FindingContext finding)
    {
        var model = finding.Model;
        var semantics = finding.Semantics;
        var cancellationToken = finding.CancellationToken;
        if (finding.Facts is not { } facts
            || facts.Acquisition.Syntax.SyntaxTree != model.SyntaxTree
            || finding.Location is not IdentifierNameSyntax name
            || model.GetSymbolInfo(name, cancellationToken).Symbol is not ILocalSymbol view
            || view.DeclaringSyntaxReferences.Length != 1
            || EnclosingFunction(view.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken)) is not { } body
            || EnclosingFunction(name) != body
            || Source(model, view, body, cancellationToken) is not { Source: ExpressionSyntax source }
            || !IsObtainedAt(model, view, body, source, facts.Acquisition.Syntax.Span, cancellationToken)
            || name.SpanStart < source.Span.End
            || ViewReacquirePlanner.IsWrite(name)
            || References(model, view, body, cancellationToken).Any(reference => !source.Span.Contains(reference.Span) && IsWrite(reference))
            || !IsReevaluable(model, semantics, Evaluated(source), name, cancellationToken)
            || !SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(Evaluated(source), cancellationToken).Type, view.Type)
            || IsKeptBeyondTheUse(name)
            || CallsGuestAfter(model, semantics, name, cancellationToken))
        {
            return null;
        }

        var replacement = (ExpressionSyntax)Evaluated(source).WithoutTrivia();
        if (replacement is not (InvocationExpressionSyntax or MemberAccessExpressionSyntax or ElementAccessExpressionSyntax or IdentifierNameSyntax or ObjectCreationExpressionSyntax or ParenthesizedExpressionSyntax))
        {
            replacement = ParenthesizedExpression(replacement);
        }

        return (name, replacement.WithTriviaFrom(name));
    }

    /// <summary>
    /// Where the view obtained in place would be kept and read later, not read there: a loop's
    /// enumerated view (read on every turn), a value stored or returned, a resource.
    /// </summary>
    private static bool IsKeptBeyondTheUse(IdentifierNameSyntax use)
    {
        SyntaxNode node = use;
        while (node.Parent is ParenthesizedExpressionSyntax or CastExpressionSyntax or ConditionalExpressionSyntax or BinaryExpressionSyntax { RawKind: (int)SyntaxKind.CoalesceExpression })
        {
            node = node.Parent;
        }

        return node.Parent is CommonForEachStatementSyntax or EqualsValueClauseSyntax or AssignmentExpressionSyntax or ReturnStatementSyntax or ArrowExpressionClauseSyntax
            or UsingStatementSyntax or FixedStatementSyntax or YieldStatementSyntax or SwitchExpressionArmSyntax or InitializerExpressionSyntax or TupleExpressionSyntax or RefExpressionSyntax
            || node.Parent is ArgumentSyntax { Parent.Parent: BaseObjectCreationExpressionSyntax or TupleExpressionSyntax };
    }

    /// <summary>
    /// Whether the expression the use is part of (up to its statement, filter, arm or body) may call
    /// the guest after the use is evaluated and before it is read: a later argument, or a call that
    /// is given the view (<c>Print(view)</c> where <c>Print</c> calls the guest first).
    /// </summary>
    private static bool CallsGuestAfter(SemanticModel model, WasmViewSemantics semantics, IdentifierNameSyntax use, CancellationToken cancellationToken)
    {
        var unit = use.Ancestors().FirstOrDefault(n => n is StatementSyntax or CatchFilterClauseSyntax or SwitchExpressionArmSyntax or ArrowExpressionClauseSyntax or EqualsValueClauseSyntax { Parent: not VariableDeclaratorSyntax { Parent.Parent: LocalDeclarationStatementSyntax } } or AnonymousFunctionExpressionSyntax);
        SyntaxNode? scope = unit switch
        {
            WhileStatementSyntax loop => loop.Condition,
            DoStatementSyntax loop => loop.Condition,
            ForStatementSyntax loop => loop.Condition is { } condition && condition.Span.Contains(use.Span) ? condition : loop.Incrementors.FirstOrDefault(i => i.Span.Contains(use.Span)),
            IfStatementSyntax branch => branch.Condition,
            SwitchStatementSyntax choice => choice.Expression,
            CommonForEachStatementSyntax loop => loop.Expression,
            StatementSyntax statement => statement,
            _ => unit,
        };

        return scope is null || !scope.Span.Contains(use.Span) || CallsGuestAfterWithin(model, semantics, use, scope, cancellationToken);
    }

    /// <summary>
    /// Whether evaluating <paramref name="scope"/> may call the guest after it evaluates
    /// <paramref name="node"/>: a later argument or operand, an enclosing call, an <c>await</c>.
    /// </summary>
    internal static bool CallsGuestAfterWithin(SemanticModel model, WasmViewSemantics semantics, SyntaxNode node, SyntaxNode scope, CancellationToken cancellationToken)
    {
        while (node != scope)
        {
            var parent = node.Parent!;
            if (parent is AwaitExpressionSyntax || (parent is ExpressionSyntax expression && IsGuestCallItself(model, semantics, expression, cancellationToken)))
            {
                return true;
            }

            foreach (var later in parent.ChildNodes())
            {
                if (later.SpanStart >= node.Span.End && GuestCallFinder.Contains(model, semantics, later, cancellationToken))
                {
                    return true;
                }
            }

            node = parent;
        }

        return false;
    }

    /// <summary>
    /// The parts of <paramref name="source"/> (the initializer of a local declared alone in a block)
    /// that cannot be evaluated again — a guest call, a read of guest memory, a mutable field —
    /// each an argument or an operand of the pure rest, so that made first into locals, in their
    /// order, they leave a source that can: <c>var address = decompressInto(size);</c>.
    /// </summary>
    private static InputsFirst? InputsOf(SemanticModel model, WasmViewSemantics semantics, ILocalSymbol local, SyntaxNode source, StatementSyntax before, TextSpan acquisitionSpan, bool wider, CancellationToken cancellationToken)
    {
        if (source is not ExpressionSyntax expression
            || expression.Parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax { Parent: BlockSyntax or SwitchSectionSyntax } declaration } } }
            || model.GetOperation(Evaluated(expression), cancellationToken) is not { } root)
        {
            return null;
        }

        var inputs = new List<IOperation>();
        if (!CollectInputs(semantics, root, variable => IsAssignedBetween(model, variable, source, before, cancellationToken), wider ? acquisitionSpan : default, inputs, cancellationToken) || inputs.Count == 0)
        {
            return null;
        }

        var named = new List<(ExpressionSyntax Expression, string Name)>();
        var taken = new List<string>();
        foreach (var input in inputs)
        {
            // new(x, y, RenderTile(x, y)): an input that obtains the view itself cannot be made
            // first; the view would be the one obtained before the guest call, assigned again.
            if (input.Syntax is not ExpressionSyntax inputSyntax
                || inputSyntax.Span.Contains(acquisitionSpan)
                || input.Type is not { TypeKind: not TypeKind.Error, IsRefLikeType: false } type
                || !SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(inputSyntax, cancellationToken).Type, type)
                || type.SpecialType == SpecialType.System_Void
                || inputSyntax.DescendantNodesAndSelf().Any(n => n is AnonymousFunctionExpressionSyntax or DeclarationExpressionSyntax or AwaitExpressionSyntax or StackAllocArrayCreationExpressionSyntax))
            {
                return null;
            }

            var argument = input.Parent;
            while (argument is IConversionOperation { IsImplicit: true })
            {
                argument = argument.Parent;
            }

            var baseName = argument is IArgumentOperation { Parameter: { } parameter } && SyntaxFacts.IsValidIdentifier(parameter.Name)
                ? parameter.Name
                : input is IFieldReferenceOperation { Field.Name: var fieldName } && fieldName.TrimStart('_') is { Length: > 0 } trimmed && SyntaxFacts.IsValidIdentifier(trimmed) && SyntaxFacts.GetKeywordKind(trimmed) == SyntaxKind.None
                    ? char.ToLowerInvariant(trimmed[0]) + trimmed.Substring(1)
                    : GuestCallHoistPlanner.NameFor(inputSyntax);
            var name = SyntaxHelpers.UniqueName(model, declaration.SpanStart, baseName, cancellationToken, taken);
            if (name != baseName)
            {
                // The address taken is the view's: viewAddress rather than address2.
                name = SyntaxHelpers.UniqueName(model, declaration.SpanStart, local.Name + char.ToUpperInvariant(baseName[0]) + baseName.Substring(1), cancellationToken, taken);
            }

            taken.Add(name);
            named.Add((inputSyntax, name));
        }

        return new InputsFirst(declaration, named, local.Name);
    }

    /// <summary>
    /// Walks down from <paramref name="operation"/>: pure operations are kept, the largest impure
    /// arguments and operands under them collected; with <paramref name="acquisitionSpan"/> (the
    /// wider inputs), a memory field that is a call's receiver too, and an operand not widened to
    /// the part of its argument that obtains the view.
    /// </summary>
    private static bool CollectInputs(WasmViewSemantics semantics, IOperation operation, System.Func<ISymbol, bool> inputChanged, TextSpan acquisitionSpan, List<IOperation> inputs, CancellationToken cancellationToken)
    {
        if (semantics.PureSources.IsPureOperation(operation, inputChanged, null, cancellationToken))
        {
            foreach (var child in operation.ChildOperations)
            {
                if (!CollectInputs(semantics, child, inputChanged, acquisitionSpan, inputs, cancellationToken))
                {
                    return false;
                }
            }

            return true;
        }

        // _memory.GetSpan(...) over a memory field set after construction (Bind(instance)): the
        // object is kept in a local, the same object whatever the field holds later.
        var isReceiver = !acquisitionSpan.IsEmpty
                         && operation is IFieldReferenceOperation { Type.IsReferenceType: true }
                         && operation.Parent is IInvocationOperation { Instance: { } instance }
                         && instance == operation;
        var isValue = isReceiver || operation.Parent is IArgumentOperation or IBinaryOperation or IConversionOperation or IParenthesizedOperation;
        if (!isValue || operation.Parent is IArgumentOperation { Parameter.RefKind: not RefKind.None })
        {
            return false;
        }

        // An argument is made first whole (var address = buffer + offset), as a person names it;
        // not the part of it that obtains the view ((byte*)memory.GetPointer() + Render()).
        var argument = operation;
        for (var parent = operation.Parent; parent is IBinaryOperation or IConversionOperation or IParenthesizedOperation && (acquisitionSpan.IsEmpty || !parent.Syntax.Span.Contains(acquisitionSpan)); parent = parent.Parent)
        {
            argument = parent;
        }

        var input = argument.Parent is IArgumentOperation && argument.Syntax is ExpressionSyntax ? argument : operation;
        while (input is IConversionOperation { IsImplicit: true } implicitConversion)
        {
            input = implicitConversion.Operand;
        }

        if (!inputs.Any(known => known.Syntax.Span.Contains(input.Syntax.Span)))
        {
            inputs.Add(input);
        }

        return true;
    }

    /// <summary>
    /// Whether anything <paramref name="outer"/> runs before it reaches <paramref name="inner"/>, or
    /// after it and back (a loop's next turn), may call the guest: for an <c>if</c>, its condition and
    /// the statements of the branch before <paramref name="inner"/>; for a loop or a block, all of it.
    /// </summary>
    private static bool CallsGuestOnTheWayTo(SemanticModel model, WasmViewSemantics semantics, StatementSyntax outer, StatementSyntax inner, CancellationToken cancellationToken)
    {
        if (outer is not IfStatementSyntax ifStatement)
        {
            return ContainsGuestCall(model, semantics, outer, cancellationToken);
        }

        if (ContainsGuestCall(model, semantics, ifStatement.Condition, cancellationToken))
        {
            return true;
        }

        // The statements of the branch that run before `inner` (an else-if chain is a nested if).
        var branch = ifStatement.Statement.Span.Contains(inner.Span) ? ifStatement.Statement : ifStatement.Else?.Statement;
        if (branch is null)
        {
            return true;
        }

        if (branch is BlockSyntax block)
        {
            foreach (var statement in block.Statements)
            {
                if (statement.Span.Contains(inner.Span))
                {
                    return false;
                }

                if (ContainsGuestCall(model, semantics, statement, cancellationToken))
                {
                    return true;
                }
            }
        }

        return branch != inner && !branch.Span.Contains(inner.Span);
    }

    /// <summary>
    /// <c>var verdict = _validate(header.FirstPosting);</c>: the statement's only guest calls are the
    /// ones the read is an argument of, passed by value as a value that holds no view, and nothing
    /// beside the read on the way up to them calls the guest; the read is done before they run, so a
    /// view obtained again before the statement is fresh where it is read.
    /// </summary>
    private static bool IsReadIntoItsGuestCall(SemanticModel model, WasmViewSemantics semantics, StatementSyntax statement, IdentifierNameSyntax use, CancellationToken cancellationToken)
    {
        // A loop's header runs again after its own guest call.
        var read = use.Ancestors().TakeWhile(n => n != statement).OfType<ArgumentSyntax>().FirstOrDefault();
        if (SyntaxHelpers.IsLoop(statement)
            || read is not { RefKindKeyword.RawKind: 0, Parent: ArgumentListSyntax }
            || ContainsGuestCall(model, semantics, read, cancellationToken)
            || model.GetOperation(read, cancellationToken) is not IArgumentOperation { Value: { } value }
            || value.Type is not { TypeKind: not TypeKind.Error } type
            || type.IsRefLikeType
            || semantics.Types.CanHoldView(type))
        {
            return false;
        }

        // Up from the argument to the statement: every other part evaluated on the way runs no guest code.
        for (SyntaxNode node = read; node != statement; node = node.Parent!)
        {
            if (node.Parent is null || node.Parent is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
            {
                return false;
            }

            // An if's branches run after its condition.
            foreach (var sibling in node.Parent.ChildNodes())
            {
                if (sibling != node
                    && !(node.Parent is IfStatementSyntax && sibling is StatementSyntax or ElseClauseSyntax)
                    && ContainsGuestCall(model, semantics, sibling, cancellationToken))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// For <c>target = value</c> (or a declaration) where the target is the stale view or a member
    /// of it and only the value calls the guest: the guest calls of the value, each whole argument
    /// or initializer value that calls the guest, in order, named for the locals they go to. None
    /// where the order of the value's other parts would matter: then, for <c>target = value</c>, the
    /// whole value, evaluated into a local in its own order before the view is obtained again
    /// (<c>new() { Handle = o.Handle, Args = CopyArgs(s) }</c> where the handle may change).
    /// </summary>
    private static List<(ExpressionSyntax Call, string Name, TypeSyntax? Type)>? CallsOfTheValueWritten(SemanticModel model, WasmViewSemantics semantics, StatementSyntax statement, IdentifierNameSyntax use, CancellationToken cancellationToken)
    {
        if (statement is not ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax assignment }
            || statement.Parent is not (BlockSyntax or SwitchSectionSyntax)
            || !assignment.Left.Span.Contains(use.Span)
            || ContainsGuestCall(model, semantics, assignment.Left, cancellationToken)
            || assignment.Right is RefExpressionSyntax)
        {
            return null;
        }

        var calls = new List<ExpressionSyntax>();
        CollectGuestCalls(model, semantics, assignment.Right, calls, cancellationToken);
        if (calls.Count == 0
            || calls.Any(call => model.GetTypeInfo(call, cancellationToken).Type is not { TypeKind: not TypeKind.Error, IsRefLikeType: false }
                                 || call.DescendantNodesAndSelf().Any(n => n is AwaitExpressionSyntax or AnonymousFunctionExpressionSyntax or DeclarationExpressionSyntax)))
        {
            return null;
        }

        // Everything the value evaluates before the last call, outside the calls, must not care
        // that the calls now run first.
        var last = calls.Max(c => c.Span.End);
        if (model.GetOperation(assignment.Right, cancellationToken) is not { } value)
        {
            return null;
        }

        foreach (var operation in value.DescendantsAndSelf())
        {
            var syntax = operation.Syntax;
            if (calls.Any(c => c.Span.Contains(syntax.Span)) || calls.Any(c => syntax.Span.Contains(c.Span)) || syntax.SpanStart >= last)
            {
                continue;
            }

            if (!semantics.PureSources.IsPureOperation(operation, _ => false, null, cancellationToken) && operation is not (IObjectOrCollectionInitializerOperation or IMemberInitializerOperation or ISimpleAssignmentOperation { Parent: IObjectOrCollectionInitializerOperation } or IMemberReferenceOperation { Parent: ISimpleAssignmentOperation { Parent: IObjectOrCollectionInitializerOperation } }))
            {
                return WholeValueWritten(model, assignment, statement.SpanStart, cancellationToken);
            }
        }

        var named = new List<(ExpressionSyntax, string, TypeSyntax?)>();
        var taken = new List<string>();
        foreach (var call in calls)
        {
            var local = SyntaxHelpers.UniqueName(model, statement.SpanStart, GuestCallHoistPlanner.NameFor(call), cancellationToken, taken);
            taken.Add(local);
            named.Add((call, local, null));
        }

        return named;
    }

    /// <summary>
    /// <c>invocation = new() { ... }</c> becomes <c>Invocation invocationValue = new() { ... };</c>,
    /// the view obtained again, then <c>invocation = invocationValue;</c>: the value evaluated in its
    /// own order, all of it before the view is obtained again. Only for a plain <c>=</c> of a value
    /// that is not a ref struct (a span cannot wait in a local for a view obtained after it).
    /// </summary>
    private static List<(ExpressionSyntax Call, string Name, TypeSyntax? Type)>? WholeValueWritten(SemanticModel model, AssignmentExpressionSyntax assignment, int position, CancellationToken cancellationToken)
    {
        if (!assignment.IsKind(SyntaxKind.SimpleAssignmentExpression)
            || model.GetTypeInfo(assignment.Left, cancellationToken).Type is not { TypeKind: not TypeKind.Error, IsRefLikeType: false } target
            || assignment.Right.DescendantNodesAndSelf().Any(n => n is AwaitExpressionSyntax or DeclarationExpressionSyntax or StackAllocArrayCreationExpressionSyntax))
        {
            return null;
        }

        var natural = model.GetTypeInfo(assignment.Right, cancellationToken).Type;
        var targetTyped = assignment.Right is ImplicitObjectCreationExpressionSyntax or CollectionExpressionSyntax or LiteralExpressionSyntax { RawKind: (int)SyntaxKind.DefaultLiteralExpression or (int)SyntaxKind.NullLiteralExpression };
        var type = targetTyped || natural is null || !SymbolEqualityComparer.IncludeNullability.Equals(natural, target)
            ? ParseTypeName(target.ToMinimalDisplayString(model, position))
            : null;
        var name = assignment.Left switch
        {
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText + "Value",
            MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
            _ => "value",
        };
        name = char.ToLowerInvariant(name.TrimStart('_')[0]) + name.TrimStart('_').Substring(1);
        var local = SyntaxHelpers.UniqueName(model, position, SyntaxFacts.IsValidIdentifier(name) ? name : "value", cancellationToken);
        return new List<(ExpressionSyntax, string, TypeSyntax?)> { (assignment.Right, local, type) };
    }

    /// <summary>The largest parts of <paramref name="expression"/> that call the guest and can be made first alone: arguments and initializer values.</summary>
    private static void CollectGuestCalls(SemanticModel model, WasmViewSemantics semantics, ExpressionSyntax expression, List<ExpressionSyntax> calls, CancellationToken cancellationToken)
    {
        if (!ContainsGuestCall(model, semantics, expression, cancellationToken))
        {
            return;
        }

        switch (expression)
        {
            case BaseObjectCreationExpressionSyntax creation when !IsGuestCallItself(model, semantics, creation, cancellationToken):
                foreach (var argument in creation.ArgumentList?.Arguments ?? default)
                {
                    CollectGuestCalls(model, semantics, argument.Expression, calls, cancellationToken);
                }

                foreach (var initializer in creation.Initializer?.Expressions ?? default)
                {
                    CollectGuestCalls(model, semantics, initializer is AssignmentExpressionSyntax member ? member.Right : initializer, calls, cancellationToken);
                }

                break;
            case ParenthesizedExpressionSyntax parenthesized:
                CollectGuestCalls(model, semantics, parenthesized.Expression, calls, cancellationToken);
                break;
            default:
                calls.Add(expression);
                break;
        }
    }

    private static bool IsGuestCallItself(SemanticModel model, WasmViewSemantics semantics, ExpressionSyntax expression, CancellationToken cancellationToken)
        => model.GetOperation(expression, cancellationToken) is { } operation
           && operation.Kind is OperationKind.Invocation or OperationKind.ObjectCreation or OperationKind.PropertyReference
           && semantics.GuestCalls.TryGetGuestCall(operation, null, null, cancellationToken) is not null;

    /// <summary>A ref initializer is evaluated as the expression it refers to.</summary>
    private static SyntaxNode Evaluated(SyntaxNode source) => source is RefExpressionSyntax reference ? reference.Expression : source;

    /// <summary>
    /// What <paramref name="local"/> is declared from, and the statement that obtains it again:
    /// <c>view = &lt;initializer&gt;;</c>, <c>view = &lt;pattern input&gt;;</c>, or <c>caller.TryGetMemorySpan(..., out view);</c>.
    /// </summary>
    private static (SyntaxNode Source, StatementSyntax Reacquire)? Source(SemanticModel model, ILocalSymbol local, SyntaxNode body, CancellationToken cancellationToken)
    {
        if (local.DeclaringSyntaxReferences.Length != 1)
        {
            return null;
        }

        var declaration = local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
        if (EnclosingFunction(declaration) != body)
        {
            return null;
        }

        if (declaration is VariableDeclaratorSyntax { Initializer.Value: { } initializer } declarator
            && declarator.Parent?.Parent is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0 })
        {
            return (initializer, ExpressionStatement(AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, IdentifierName(local.Name), initializer.WithoutTrivia())));
        }

        // var (address, length) = (pointer + offset, 64): the element of the tuple that the local receives.
        if (declaration is SingleVariableDesignationSyntax designation && DeconstructedElement(designation) is { } element)
        {
            return (element, ExpressionStatement(AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, IdentifierName(local.Name), element.WithoutTrivia())));
        }

        // memory.GetPointer() is var basePointer: the pattern's input, when the variable takes it as it is.
        if (declaration is SingleVariableDesignationSyntax { Parent: VarPatternSyntax or DeclarationPatternSyntax or RecursivePatternSyntax { PositionalPatternClause: null, PropertyPatternClause: { Subpatterns.Count: 0 } } } patternDesignation
            && patternDesignation.Parent!.Parent is IsPatternExpressionSyntax isPattern
            && isPattern.Pattern == patternDesignation.Parent
            && SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(isPattern.Expression, cancellationToken).Type, local.Type))
        {
            return (isPattern.Expression, ExpressionStatement(AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, IdentifierName(local.Name), isPattern.Expression.WithoutTrivia())));
        }

        // window is (var start, > 0), quote is { Ask: var a }: the part of the tuple or record the
        // local's holder was declared from that the pattern takes apart.
        if (declaration is SingleVariableDesignationSyntax partDesignation && PartOfItsHolder(model, partDesignation, local, body, cancellationToken) is { } part)
        {
            return (part, ExpressionStatement(AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, IdentifierName(local.Name), part.WithoutTrivia())));
        }

        if (declaration is SingleVariableDesignationSyntax { Parent: DeclarationExpressionSyntax { Parent: ArgumentSyntax outArgument } }
            && outArgument.Parent?.Parent is InvocationExpressionSyntax tryGet
            && IsTryGetMemorySpan(model, tryGet, cancellationToken))
        {
            return (tryGet, ExpressionStatement(tryGet.ReplaceNode(outArgument.Expression, IdentifierName(local.Name)).WithoutTrivia()));
        }

        return null;
    }

    /// <summary>
    /// <c>nint? last = null; ... last = memory.GetPointer() + output;</c>: a local declared first and
    /// given the view later, by the assignment that obtains it, where every pass to the use runs
    /// that assignment (it stands before the use, in a block around it). Any other write to the
    /// local the planner refuses as a re-binding.
    /// </summary>
    private static (SyntaxNode Source, StatementSyntax Reacquire)? AssignedBeforeTheUse(SemanticModel model, ILocalSymbol local, SyntaxNode body, SyntaxNode use, TextSpan acquisitionSpan, CancellationToken cancellationToken)
    {
        if (local.IsRef
            || local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Parent.Parent: LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0 } })
        {
            return null;
        }

        var assignment = References(model, local, body, cancellationToken)
            .Select(reference => reference.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assigned && assigned.Left == reference ? assigned : null)
            .FirstOrDefault(assigned => assigned is not null && assigned.Right.Span.Contains(acquisitionSpan));
        if (assignment?.Parent is not ExpressionStatementSyntax { Parent: BlockSyntax block } statement
            || !block.Span.Contains(use.Span)
            || statement.Span.End > use.SpanStart
            || EnclosingFunction(statement) != body)
        {
            return null;
        }

        return (assignment.Right, ExpressionStatement(AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, IdentifierName(local.Name), assignment.Right.WithoutTrivia())));
    }

    /// <summary>
    /// A variable a pattern binds to a part of a local (<c>window is (var start, > 0)</c>, <c>quote is {
    /// Ask: var a }</c>): the expression that part was given where the local was declared, from a
    /// tuple literal (<c>var window = (_memory.GetPointer() + zone, count);</c>) or a positional
    /// record's primary constructor (<c>new Quote(bid, ask, 1)</c>, whose <c>Ask</c> is its parameter
    /// as given). Only where the holder is declared once and only read (its parts read, or taken apart
    /// by a pattern), so that the part holds what it was given, and of the variable's own type.
    /// </summary>
    private static ExpressionSyntax? PartOfItsHolder(SemanticModel model, SingleVariableDesignationSyntax designation, ILocalSymbol local, SyntaxNode body, CancellationToken cancellationToken)
    {
        if (designation.Parent is not (VarPatternSyntax or DeclarationPatternSyntax)
            || designation.Parent.Parent is not SubpatternSyntax { ExpressionColon: null or NameColonSyntax } subpattern
            || subpattern.Parent is not (PositionalPatternClauseSyntax or PropertyPatternClauseSyntax)
            || subpattern.Parent.Parent is not RecursivePatternSyntax { Type: null } recursive
            || recursive.Parent is not IsPatternExpressionSyntax { Expression: IdentifierNameSyntax holderName } isPattern
            || isPattern.Pattern != recursive
            || model.GetSymbolInfo(holderName, cancellationToken).Symbol is not ILocalSymbol { DeclaringSyntaxReferences.Length: 1, IsRef: false } holder
            || holder.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Initializer.Value: { } initializer, Parent.Parent: LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0 } } holderDeclarator
            || EnclosingFunction(holderDeclarator) != body
            || !IsOnlyRead(holder))
        {
            return null;
        }

        var part = subpattern.Parent switch
        {
            PositionalPatternClauseSyntax positional => ByPosition(positional.Subpatterns.IndexOf(subpattern)),
            _ => model.GetOperation(subpattern, cancellationToken) is IPropertySubpatternOperation { Member: IMemberReferenceOperation { Member: var member } } ? ByMember(member) : null,
        };

        return part is not null && SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(part, cancellationToken).Type, local.Type) ? part : null;

        ExpressionSyntax? ByPosition(int index)
        {
            if (index < 0)
            {
                return null;
            }

            if (initializer is TupleExpressionSyntax tuple)
            {
                return index < tuple.Arguments.Count ? tuple.Arguments[index].Expression : null;
            }

            // A record's own Deconstruct gives its primary constructor's parameters in order.
            return model.GetTypeInfo(initializer, cancellationToken).Type is INamedTypeSymbol { IsRecord: true } record
                   && record.GetMembers("Deconstruct").OfType<IMethodSymbol>().Count(m => m.IsImplicitlyDeclared) == 1
                   && PrimaryConstructorArguments() is { } arguments && index < arguments.Count
                ? arguments[index].Expression
                : null;
        }

        ExpressionSyntax? ByMember(ISymbol? member)
        {
            switch (member)
            {
                case IFieldSymbol { CorrespondingTupleField: { } element, ContainingType.TupleElements: var elements } when initializer is TupleExpressionSyntax tuple:
                    var index = elements.Select(each => each.CorrespondingTupleField).ToList().FindIndex(each => SymbolEqualityComparer.Default.Equals(each, element));
                    return index >= 0 && index < tuple.Arguments.Count ? tuple.Arguments[index].Expression : null;
                case IPropertySymbol { ContainingType.IsRecord: true, DeclaringSyntaxReferences: { Length: 1 } references } property
                    when references[0].GetSyntax(cancellationToken) is ParameterSyntax { Parent: ParameterListSyntax { Parent: RecordDeclarationSyntax } parameters } parameter
                         && PrimaryConstructorArguments() is { } arguments:
                    var position = parameters.Parameters.IndexOf(parameter);
                    return position >= 0 && position < arguments.Count ? arguments[position].Expression : null;
                default:
                    return null;
            }
        }

        // new Quote(bid, ask, 1) by the record's primary constructor, every argument by position.
        SeparatedSyntaxList<ArgumentSyntax>? PrimaryConstructorArguments()
            => initializer is BaseObjectCreationExpressionSyntax { ArgumentList.Arguments: var arguments, Initializer: null } creation
               && model.GetSymbolInfo(creation, cancellationToken).Symbol is IMethodSymbol { MethodKind: MethodKind.Constructor, DeclaringSyntaxReferences: { Length: 1 } constructor } primary
               && constructor[0].GetSyntax(cancellationToken) is RecordDeclarationSyntax
               && arguments.Count == primary.Parameters.Length
               && arguments.All(argument => argument.NameColon is null && argument.RefKindKeyword.IsKind(SyntaxKind.None))
                ? arguments
                : null;

        // Read only: taken apart by a pattern, or a property or field of it read.
        bool IsOnlyRead(ILocalSymbol symbol)
            => References(model, symbol, body, cancellationToken).All(reference =>
                reference.Parent is IsPatternExpressionSyntax { Expression: var input } && input == reference
                || reference.Parent is MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } member
                   && member.Expression == reference
                   && member.Parent is not InvocationExpressionSyntax
                   && !IsWrite(member)
                   && !(member.Parent is MemberAccessExpressionSyntax or ElementAccessExpressionSyntax));
    }

    /// <summary><c>var (a, b) = (x, y)</c> or <c>(var a, var b) = (x, y)</c>: the element of the tuple literal <paramref name="designation"/> receives.</summary>
    private static ExpressionSyntax? DeconstructedElement(SingleVariableDesignationSyntax designation)
    {
        SyntaxNode target;
        int index;
        switch (designation.Parent)
        {
            case ParenthesizedVariableDesignationSyntax { Parent: DeclarationExpressionSyntax declaration } parenthesized:
                index = parenthesized.Variables.IndexOf(designation);
                target = declaration;
                break;
            case DeclarationExpressionSyntax { Parent: ArgumentSyntax { Parent: TupleExpressionSyntax tuple } argument }:
                index = tuple.Arguments.IndexOf(argument);
                target = tuple;
                break;
            default:
                return null;
        }

        return target.Parent is AssignmentExpressionSyntax { Right: TupleExpressionSyntax values, Parent: ExpressionStatementSyntax } assignment
               && assignment.Left == target
               && index >= 0
               && index < values.Arguments.Count
            ? values.Arguments[index].Expression
            : null;
    }

    /// <summary>
    /// The tuple or record a local was declared from, where <paramref name="source"/> is one of its
    /// parts (<see cref="PartOfItsHolder"/>): the engine may name another part's acquisition for the
    /// variable a pattern takes out of it.
    /// </summary>
    private static ExpressionSyntax? HolderOfThePart(SyntaxNode source)
        => source.Parent switch
        {
            ArgumentSyntax { Parent: TupleExpressionSyntax { Parent: EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax } } tuple } => tuple,
            ArgumentSyntax { Parent: ArgumentListSyntax { Parent: BaseObjectCreationExpressionSyntax { Parent: EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax } } creation } } => creation,
            _ => null,
        };

    /// <summary>The view at the use was obtained from <paramref name="source"/>, or by this fix applied to an earlier use.</summary>
    private static bool IsObtainedAt(SemanticModel model, ILocalSymbol local, SyntaxNode body, SyntaxNode source, TextSpan acquisitionSpan, CancellationToken cancellationToken)
        => source.Span.Contains(acquisitionSpan)
           || HolderOfThePart(source) is { } holder && holder.Span.Contains(acquisitionSpan)
           || References(model, local, body, cancellationToken).Any(r => IsReacquisition(r, source) && r.Parent!.Parent!.Span.Contains(acquisitionSpan));

    /// <summary>
    /// The earliest statement of the list that holds <paramref name="before"/> with no guest call
    /// from it to <paramref name="before"/>, nothing that assigns a variable the view is obtained
    /// from, and no declaration of one: where the view can be obtained again as well.
    /// </summary>
    private static StatementSyntax RightAfterTheLastGuestCall(SemanticModel model, WasmViewSemantics semantics, StatementSyntax before, IReadOnlyList<SyntaxNode> sources, CancellationToken cancellationToken)
    {
        if (before.Parent is not BlockSyntax block)
        {
            return before;
        }

        var inputs = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var identifier in sources.SelectMany(source => source.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>()))
        {
            if (identifier.SyntaxTree == model.SyntaxTree && model.GetSymbolInfo(identifier, cancellationToken).Symbol is ILocalSymbol or IParameterSymbol or IFieldSymbol or IPropertySymbol)
            {
                inputs.Add(model.GetSymbolInfo(identifier, cancellationToken).Symbol!);
            }
        }

        var index = block.Statements.IndexOf(before);
        while (index > 0)
        {
            var previous = block.Statements[index - 1];
            if (previous is LocalFunctionStatementSyntax or LabeledStatementSyntax
                || sources.Any(source => previous.Span.Contains(source.Span) || previous.Span.IntersectsWith(source.Span))
                || ContainsGuestCall(model, semantics, previous, cancellationToken)
                || DeclaresOrWrites(model, previous, inputs, cancellationToken)
                || ObtainsAViewAgain(model, previous, cancellationToken))
            {
                break;
            }

            index--;
        }

        return block.Statements[index];
    }

    /// <summary><c>other = memory.GetSpan(...);</c>: another view obtained again, which this one goes under.</summary>
    private static bool ObtainsAViewAgain(SemanticModel model, StatementSyntax statement, CancellationToken cancellationToken)
        => statement is ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax target } }
           && model.GetSymbolInfo(target, cancellationToken).Symbol is ILocalSymbol local
           && (local.IsRef || local.Type is IPointerTypeSymbol || local.Type.IsRefLikeType);

    private static bool DeclaresOrWrites(SemanticModel model, StatementSyntax statement, HashSet<ISymbol> inputs, CancellationToken cancellationToken)
    {
        foreach (var node in statement.DescendantNodesAndSelf())
        {
            switch (node)
            {
                case VariableDeclaratorSyntax declarator when model.GetDeclaredSymbol(declarator, cancellationToken) is { } declared && inputs.Contains(declared):
                case SingleVariableDesignationSyntax designation when model.GetDeclaredSymbol(designation, cancellationToken) is { } designated && inputs.Contains(designated):
                    return true;
                case IdentifierNameSyntax identifier when IsWrite(identifier) && model.GetSymbolInfo(identifier, cancellationToken).Symbol is { } written && inputs.Contains(written):
                    return true;
            }
        }

        return false;
    }

    /// <summary>The statement of a statement list that <paramref name="statement"/> is part of (a loop, an <c>if</c>, a block).</summary>
    private static StatementSyntax? Enclosing(StatementSyntax statement)
    {
        var container = statement.Parent;
        if (container is BlockSyntax block && block.Parent is not (BlockSyntax or SwitchSectionSyntax))
        {
            container = block.Parent;
        }

        if (container is ElseClauseSyntax elseClause)
        {
            container = elseClause.Parent;
        }

        return container is StatementSyntax owner
               && owner is not (SwitchStatementSyntax or TryStatementSyntax or LabeledStatementSyntax or LocalFunctionStatementSyntax)
               && owner.Parent is BlockSyntax or SwitchSectionSyntax
            ? owner
            : null;
    }

    internal static bool ContainsGuestCall(SemanticModel model, WasmViewSemantics semantics, SyntaxNode node, CancellationToken cancellationToken)
        => GuestCallFinder.Contains(model, semantics, node, cancellationToken);

    private static bool IsTryGetMemorySpan(SemanticModel model, InvocationExpressionSyntax invocation, CancellationToken cancellationToken)
        => model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol { Name: "TryGetMemorySpan" } method
           && SymbolEqualityComparer.Default.Equals(method.ContainingType, model.Compilation.GetTypeByMetadataName("Wasmtime.Caller"));

    /// <summary>The method, accessor, lambda or local function whose body holds <paramref name="node"/>.</summary>
    internal static SyntaxNode? EnclosingFunction(SyntaxNode node)
        => node.AncestorsAndSelf().FirstOrDefault(n => n is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax or CompilationUnitSyntax);

    /// <summary>
    /// The statement of a statement list that holds <paramref name="use"/>, where a statement can
    /// be inserted before it; none when the use is in a loop's condition or increment (evaluated
    /// again each turn) or outside a statement.
    /// </summary>
    internal static StatementSyntax? StatementBefore(SyntaxNode use, SyntaxNode body)
    {
        for (var node = use; node is not null && node != body; node = node.Parent)
        {
            if (node.Parent is WhileStatementSyntax @while && @while.Condition == node
                || node.Parent is DoStatementSyntax @do && @do.Condition == node
                || node.Parent is ForStatementSyntax @for && (@for.Condition == node || @for.Incrementors.Contains(node)))
            {
                return null;
            }

            if (node is StatementSyntax statement and not BlockSyntax
                && statement.Parent is BlockSyntax or SwitchSectionSyntax or GlobalStatementSyntax or IfStatementSyntax or ElseClauseSyntax or WhileStatementSyntax or ForStatementSyntax or CommonForEachStatementSyntax or UsingStatementSyntax or LockStatementSyntax or FixedStatementSyntax)
            {
                return statement is LabeledStatementSyntax or LocalFunctionStatementSyntax ? null : statement;
            }
        }

        return null;
    }

    /// <summary>Whether the view variable is assigned anywhere but where it is declared (a ref local re-bound, a span or pointer reassigned).</summary>
    private static bool IsRebound(SemanticModel model, ILocalSymbol view, SyntaxNode body, SyntaxNode declaration, SyntaxNode source, StatementSyntax before, CancellationToken cancellationToken)
    {
        foreach (var reference in References(model, view, body, cancellationToken))
        {
            if (declaration.Span.Contains(reference.Span) || IsReacquisition(reference, source) || IsOnlyAfter(reference, before, declaration))
            {
                continue;
            }

            // Through a ref local, `inv = value`, `inv++` and `ref inv` write guest memory; only
            // `inv = ref other` re-binds it. Any write to a span or pointer variable re-binds it.
            if (view.IsRef
                    ? reference.Parent is AssignmentExpressionSyntax { Right: RefExpressionSyntax } rebinding && rebinding.Left == reference
                    : IsWrite(reference))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether <paramref name="reference"/> runs only after <paramref name="before"/> in every pass
    /// that reaches the use (<c>inv = ref InvocationAt(address)</c> after it): later in the same
    /// function, and in no loop that runs the use again without declaring the view first.
    /// </summary>
    private static bool IsOnlyAfter(SyntaxNode reference, StatementSyntax before, SyntaxNode declaration)
        => reference.SpanStart >= before.Span.End
           && EnclosingFunction(reference) == EnclosingFunction(before)
           && !reference.Ancestors().Any(loop => SyntaxHelpers.IsLoop(loop) && loop.Span.Contains(before.Span) && !loop.Span.Contains(declaration.Span))
           && !before.Ancestors().Any(node => node is BlockSyntax block && block.DescendantNodes().Any(n => n is GotoStatementSyntax));

    /// <summary>The view obtained again from the same source: <c>view = &lt;source&gt;</c> or <c>caller.TryGetMemorySpan(..., out view)</c> (this fix, applied before).</summary>
    private static bool IsReacquisition(IdentifierNameSyntax reference, SyntaxNode source)
        => reference.Parent switch
        {
            AssignmentExpressionSyntax assignment when assignment.Left == reference && assignment.IsKind(SyntaxKind.SimpleAssignmentExpression)
                => assignment.Right.IsEquivalentTo(source, topLevel: false),
            ArgumentSyntax { Parent.Parent: InvocationExpressionSyntax invocation } argument when source is InvocationExpressionSyntax tryGet
                => argument.RefKindKeyword.IsKind(SyntaxKind.OutKeyword)
                   && invocation.Expression.IsEquivalentTo(tryGet.Expression, topLevel: false)
                   && invocation.ArgumentList.Arguments.Count == tryGet.ArgumentList.Arguments.Count
                   && invocation.ArgumentList.Arguments.Zip(tryGet.ArgumentList.Arguments, (a, b) => a == argument || a.IsEquivalentTo(b, topLevel: false)).All(same => same),
            _ => false,
        };

    /// <summary>
    /// Whether <paramref name="source"/> evaluated again before <paramref name="before"/> gives the
    /// view it gave where it was first evaluated, and does nothing else (the engine's pure sources:
    /// Wasmtime's and the BCL's view members, helpers of the compilation whose body is pure).
    /// </summary>
    private static bool IsReevaluable(SemanticModel model, WasmViewSemantics semantics, SyntaxNode source, SyntaxNode before, CancellationToken cancellationToken)
        => model.GetOperation(source, cancellationToken) is { } root
           && semantics.PureSources.IsReevaluable(root, variable => IsAssignedBetween(model, variable, source, before, cancellationToken), null, cancellationToken);

    /// <summary>
    /// Whether <paramref name="variable"/> may hold another value at <paramref name="before"/> than
    /// when the view was obtained: assigned between the two, in a loop around the first but not the
    /// second, or in a lambda or local function (which may run anywhere). <paramref name="before"/>
    /// is the statement a re-acquisition goes before, or the use itself where it is obtained in place.
    /// </summary>
    internal static bool IsAssignedBetween(SemanticModel model, ISymbol variable, SyntaxNode source, SyntaxNode before, CancellationToken cancellationToken)
    {
        var member = source.AncestorsAndSelf().FirstOrDefault(n => n is BaseMethodDeclarationSyntax or BasePropertyDeclarationSyntax or CompilationUnitSyntax);
        if (member is null)
        {
            return true;
        }

        foreach (var reference in References(model, variable, member, cancellationToken))
        {
            if (IsWrite(reference)
                && (EnclosingFunction(reference) != EnclosingFunction(source)
                    || (reference.SpanStart > source.Span.End && reference.SpanStart < before.SpanStart)
                    || before.Ancestors().Any(loop => SyntaxHelpers.IsLoop(loop) && loop.Span.Contains(reference.Span) && !loop.Span.Contains(source.Span))))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The names in <paramref name="scope"/> that refer to <paramref name="symbol"/>.</summary>
    internal static IEnumerable<IdentifierNameSyntax> References(SemanticModel model, ISymbol symbol, SyntaxNode scope, CancellationToken cancellationToken)
        => scope.DescendantNodes()
            .OfType<IdentifierNameSyntax>()
            .Where(n => n.Identifier.ValueText == symbol.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol, symbol));

    /// <summary>
    /// Whether <paramref name="local"/> is written, as <paramref name="isWrite"/> tells, anywhere in
    /// <paramref name="body"/> but its declaration and a statement like <paramref name="fixStatement"/>
    /// (the assignment a fix writes, which Fix All may already have written at another use).
    /// </summary>
    internal static bool IsWrittenBesides(SemanticModel model, ILocalSymbol local, SyntaxNode body, SyntaxNode declarator, StatementSyntax fixStatement, System.Func<IdentifierNameSyntax, bool> isWrite, CancellationToken cancellationToken)
        => References(model, local, body, cancellationToken)
            .Any(reference => !declarator.Span.Contains(reference.Span)
                              && !(reference.Parent is AssignmentExpressionSyntax { Parent: ExpressionStatementSyntax written } && written.IsEquivalentTo(fixStatement.WithTriviaFrom(written), topLevel: false))
                              && isWrite(reference));

    /// <summary>Whether <paramref name="reference"/> assigns its variable (or takes it by reference to do so).</summary>
    internal static bool IsWrite(ExpressionSyntax reference)
    {
        var node = reference;
        while (node.Parent is ParenthesizedExpressionSyntax parenthesized)
        {
            node = parenthesized;
        }

        return node.Parent switch
        {
            AssignmentExpressionSyntax assignment => assignment.Left == node,
            PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression or (int)SyntaxKind.AddressOfExpression } => true,
            PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } => true,
            ArgumentSyntax argument => !argument.RefKindKeyword.IsKind(SyntaxKind.None) && !argument.RefKindKeyword.IsKind(SyntaxKind.InKeyword),
            RefExpressionSyntax => true,
            _ => false,
        };
    }

    /// <summary>
    /// Whether the statement that reads the view may run guest code before it reads it: then a view
    /// obtained before the statement is stale again at the use (<c>inv.Args = CopyArgs(...)</c>,
    /// <c>Print(view)</c> where <c>Print</c> calls the guest first, an <c>await</c>).
    /// </summary>
    internal static bool MayCallGuestBeforeUse(SemanticModel model, WasmViewSemantics semantics, StatementSyntax before, SyntaxNode use, CancellationToken cancellationToken)
    {
        SyntaxNode? header = before switch
        {
            ExpressionStatementSyntax statement => statement.Expression,
            LocalDeclarationStatementSyntax statement => statement.Declaration,
            ReturnStatementSyntax statement => statement.Expression,
            ThrowStatementSyntax statement => statement.Expression,
            IfStatementSyntax statement => statement.Condition,
            SwitchStatementSyntax statement => statement.Expression,
            CommonForEachStatementSyntax statement => statement.Expression,
            UsingStatementSyntax statement => (SyntaxNode?)statement.Declaration ?? statement.Expression,
            LockStatementSyntax statement => statement.Expression,
            YieldStatementSyntax statement => statement.Expression,
            _ => null,
        };

        if (header is null || !header.Span.Contains(use.Span))
        {
            return true;
        }

        return ContainsGuestCall(model, semantics, header, cancellationToken);
    }
}
