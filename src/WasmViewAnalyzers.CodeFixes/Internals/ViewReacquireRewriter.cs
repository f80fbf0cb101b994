using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Text;
using WasmViewAnalyzers.Engine;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// Obtains a view again before the statement that reads it stale (<see cref="ReacquirePlan"/>).
/// In a Fix All, a use that an earlier re-acquisition already reaches fresh on every path is left as
/// it is: once on each path is enough.
/// </summary>
internal sealed class ReacquireEdit : FixEdit
{
    private readonly ReacquirePlan _plan;
    private readonly WasmViewSemantics _semantics;
    private readonly SemanticModel _model;

    public ReacquireEdit(ReacquirePlan plan, WasmViewSemantics semantics, SemanticModel model)
    {
        _plan = plan;
        _semantics = semantics;
        _model = model;
    }

    public ReacquirePlan Plan => _plan;

    /// <summary>Several stale uses of one view in one statement share one re-acquisition.</summary>
    public override string Key => "reacquire:" + _plan.Key.Start + ":" + _plan.Key.Name;

    public override TextSpan Span => _plan.CallsFirst.Count == 0 && _plan.Before.Parent is BlockSyntax or SwitchSectionSyntax or GlobalStatementSyntax
        ? new TextSpan(_plan.Before.SpanStart, 0)
        : _plan.Before.Span;

    public override SyntaxTree Tree => _plan.Before.SyntaxTree;

    /// <summary>
    /// The view is assigned again: its declaration must stay a declaration of that local, of that type
    /// (the type and declarators of a local declaration; a <c>using</c> keyword before them may go).
    /// </summary>
    public override IEnumerable<TextSpan> ReliesOn => _plan.View.DeclaringSyntaxReferences
        .Where(reference => reference.SyntaxTree == Tree)
        .Select(reference => reference.GetSyntax() is VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Parent: LocalDeclarationStatementSyntax } declaration }
            ? declaration.Span
            : (reference.GetSyntax().FirstAncestorOrSelf<StatementSyntax>() ?? reference.GetSyntax()).Span);

    public override bool IsCoveredBy(IReadOnlyList<FixEdit> kept, FindingContext context)
    {
        if (_plan.CallsFirst.Count != 0)
        {
            return false;
        }

        var earlier = kept.OfType<ReacquireEdit>()
            .Where(edit => SymbolEqualityComparer.Default.Equals(edit._plan.View, _plan.View) && edit._plan.Before.SpanStart <= _plan.Before.SpanStart)
            .Select(edit => edit._plan.Before)
            .ToList();
        return earlier.Count > 0 && new ViewFreshness(_model, _semantics, _plan.View, context.CancellationToken).IsFreshBefore(_plan.Before, earlier);
    }

    public override void Apply(DocumentEditor editor, FixApplication application)
    {
        // The statement goes right under the code before it (the guest call, as a rule); blank
        // lines and comments stay with the statement that reads the view.
        var before = _plan.Before;
        var endOfLine = SyntaxHelpers.EndOfLineAfter(before);
        var statements = new List<StatementSyntax>();
        foreach (var (call, name, type) in _plan.CallsFirst)
        {
            statements.Add(SyntaxHelpers.LocalDeclaration(name, call, type)
                .WithAdditionalAnnotations(Formatter.Annotation));
        }

        statements.AddRange(_plan.InputsFirst is { } inputsFirst ? _plan.Reacquire.Select(statement => Renamed(statement, inputsFirst.NamesIn(application, CancellationToken.None))) : _plan.Reacquire);
        var inserted = statements.Select(statement => statement.WithLeadingTrivia(SyntaxHelpers.Indentation(before)).WithTrailingTrivia(endOfLine)).ToList();
        foreach (var (call, name, _) in _plan.CallsFirst)
        {
            editor.ReplaceNode(call, IdentifierName(name).WithTriviaFrom(call));
        }

        switch (before.Parent)
        {
            case BlockSyntax or SwitchSectionSyntax:
                editor.InsertBefore(before, inserted);
                break;
            case GlobalStatementSyntax global:
                editor.InsertBefore(global, inserted.Select(statement => (SyntaxNode)GlobalStatement(statement)));
                break;
            default:
                // An embedded statement (`if (ok) Use(view);`) becomes a block.
                editor.ReplaceNode(before, (node, _) => Block(inserted.Append(((StatementSyntax)node).WithoutLeadingTrivia())).WithTriviaFrom(node).WithAdditionalAnnotations(Formatter.Annotation));
                break;
        }
    }

    /// <summary>The re-acquisition with the names its inputs got when they were made first.</summary>
    private static StatementSyntax Renamed(StatementSyntax statement, IReadOnlyDictionary<string, string> names)
        => statement.ReplaceNodes(
            statement.DescendantNodes().OfType<IdentifierNameSyntax>().Where(name => names.TryGetValue(name.Identifier.ValueText, out var chosen) && chosen != name.Identifier.ValueText),
            (original, _) => IdentifierName(names[original.Identifier.ValueText]).WithTriviaFrom(original));
}

/// <summary>
/// Makes the inputs of a view's source first, into locals, where the view is declared
/// (<see cref="InputsFirst"/>): one edit, however many re-acquisitions of the view use them.
/// </summary>
internal sealed class InputsFirstEdit : FixEdit
{
    private readonly InputsFirst _inputs;

    public InputsFirstEdit(InputsFirst inputs)
    {
        _inputs = inputs;
    }

    public override string Key => "inputs:" + _inputs.Declaration.SpanStart;

    public override TextSpan Span => _inputs.Declaration.Span;

    public override SyntaxTree Tree => _inputs.Declaration.SyntaxTree;

    public override void Apply(DocumentEditor editor, FixApplication application)
    {
        var declaration = _inputs.Declaration;
        var endOfLine = SyntaxHelpers.EndOfLineAfter(declaration);
        var names = _inputs.NamesIn(application, CancellationToken.None);
        var locals = _inputs.Inputs.Select(input => (SyntaxNode)SyntaxHelpers.LocalDeclaration(names[input.Name], input.Expression)
            .WithLeadingTrivia(SyntaxHelpers.Indentation(declaration))
            .WithTrailingTrivia(endOfLine)
            .WithAdditionalAnnotations(Formatter.Annotation));
        editor.InsertBefore(declaration, locals);
        foreach (var (expression, name) in _inputs.Inputs)
        {
            editor.ReplaceNode(expression, IdentifierName(names[name]).WithTriviaFrom(expression));
        }
    }
}

/// <summary>
/// Whether one view is fresh before a statement, given where it is obtained again: a walk of the
/// method's statements with two states (fresh, maybe stale), in which a guest call makes the view
/// maybe stale and an assignment of it (its declaration, a re-acquisition planned or written)
/// fresh. Branches join, loops are walked to their fixed point, and a jump the walk cannot follow
/// makes everything maybe stale.
/// </summary>
internal sealed class ViewFreshness
{
    private readonly SemanticModel _model;
    private readonly WasmViewSemantics _semantics;
    private readonly ILocalSymbol _view;
    private readonly CancellationToken _cancellationToken;
    private StatementSyntax? _target;
    private IReadOnlyCollection<StatementSyntax> _reacquiredBefore = System.Array.Empty<StatementSyntax>();
    private State _atTarget;

    public ViewFreshness(SemanticModel model, WasmViewSemantics semantics, ILocalSymbol view, CancellationToken cancellationToken)
    {
        _model = model;
        _semantics = semantics;
        _view = view;
        _cancellationToken = cancellationToken;
    }

    /// <summary>No path reaches; the view is fresh; it may be stale.</summary>
    private enum State
    {
        Unreached,
        Fresh,
        Stale,
    }

    /// <summary>Whether the view is fresh on every path to <paramref name="target"/> once it is obtained again before each of <paramref name="reacquiredBefore"/>.</summary>
    public bool IsFreshBefore(StatementSyntax target, IReadOnlyCollection<StatementSyntax> reacquiredBefore)
    {
        var body = SyntaxHelpers.EnclosingFunction(target);
        if (body is null || reacquiredBefore.Any(statement => SyntaxHelpers.EnclosingFunction(statement) != body))
        {
            return false;
        }

        _target = target;
        _reacquiredBefore = reacquiredBefore;
        _atTarget = State.Unreached;
        var statements = body switch
        {
            BaseMethodDeclarationSyntax { Body: { } block } => block.Statements,
            AccessorDeclarationSyntax { Body: { } block } => block.Statements,
            LocalFunctionStatementSyntax { Body: { } block } => block.Statements,
            AnonymousFunctionExpressionSyntax { Block: { } block } => block.Statements,
            CompilationUnitSyntax unit => List(unit.Members.OfType<GlobalStatementSyntax>().Select(g => g.Statement)),
            _ => default,
        };

        Walk(statements, State.Fresh);
        return _atTarget == State.Fresh;
    }

    private State Walk(SyntaxList<StatementSyntax> statements, State state)
    {
        foreach (var statement in statements)
        {
            state = Walk(statement, state);
        }

        return state;
    }

    private State Walk(StatementSyntax statement, State state)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        if (state != State.Unreached && _reacquiredBefore.Contains(statement))
        {
            state = State.Fresh;
        }

        if (statement == _target)
        {
            _atTarget = Join(_atTarget, state);
        }

        switch (statement)
        {
            case BlockSyntax block:
                return Walk(block.Statements, state);

            case IfStatementSyntax ifStatement:
                state = Through(ifStatement.Condition, state);
                var then = Walk(ifStatement.Statement, state);
                var otherwise = ifStatement.Else is { } elseClause ? Walk(elseClause.Statement, state) : state;
                return Join(then, otherwise);

            case WhileStatementSyntax or ForStatementSyntax or CommonForEachStatementSyntax or DoStatementSyntax:
                return Loop(statement, state);

            case SwitchStatementSyntax switchStatement:
                state = Through(switchStatement.Expression, state);
                var after = switchStatement.Sections.Any(s => s.Labels.Any(l => l is DefaultSwitchLabelSyntax)) ? State.Unreached : state;
                foreach (var section in switchStatement.Sections)
                {
                    after = Join(after, Walk(section.Statements, state));
                }

                return Contains(statement, s => s is GotoStatementSyntax) ? State.Stale : after;

            case TryStatementSyntax tryStatement:
                var tried = Walk(tryStatement.Block, state);

                // A catch may start from any point of the try.
                var caught = CallsGuest(tryStatement.Block) ? State.Stale : Join(state, tried);
                var end = tried;
                foreach (var handler in tryStatement.Catches)
                {
                    end = Join(end, Walk(handler.Block, caught));
                }

                return tryStatement.Finally is { } finallyClause ? Walk(finallyClause.Block, Join(end, caught)) : end;

            case ReturnStatementSyntax or ThrowStatementSyntax or BreakStatementSyntax or ContinueStatementSyntax:
                Through(statement, state);
                return State.Unreached;

            case GotoStatementSyntax or LabeledStatementSyntax:
                return State.Stale;

            case LocalFunctionStatementSyntax:
                return state;

            case UsingStatementSyntax usingStatement:
                state = usingStatement.Declaration is { } declaration ? Through(declaration, state) : usingStatement.Expression is { } resource ? Through(resource, state) : state;
                return Walk(usingStatement.Statement, state);

            case LockStatementSyntax lockStatement:
                return Walk(lockStatement.Statement, Through(lockStatement.Expression, state));

            case FixedStatementSyntax fixedStatement:
                return Walk(fixedStatement.Statement, Through(fixedStatement.Declaration, state));

            case CheckedStatementSyntax checkedStatement:
                return Walk(checkedStatement.Block, state);

            case UnsafeStatementSyntax unsafeStatement:
                return Walk(unsafeStatement.Block, state);

            default:
                return Through(statement, state);
        }
    }

    /// <summary>A loop: its body from the state before it and from the end of each turn, until nothing changes.</summary>
    private State Loop(StatementSyntax loop, State state)
    {
        var (header, body) = loop switch
        {
            WhileStatementSyntax w => ((SyntaxNode?)w.Condition, w.Statement),
            DoStatementSyntax d => (d.Condition, d.Statement),
            ForStatementSyntax f => (f.Condition, f.Statement),
            CommonForEachStatementSyntax e => (e.Expression, e.Statement),
            _ => (null, loop),
        };

        if (loop is ForStatementSyntax forStatement)
        {
            state = forStatement.Declaration is { } declaration ? Through(declaration, state) : state;
            foreach (var initializer in forStatement.Initializers)
            {
                state = Through(initializer, state);
            }
        }

        if (loop is CommonForEachStatementSyntax or WhileStatementSyntax or ForStatementSyntax && header is not null)
        {
            state = Through(header, state);
        }

        var entry = state;
        var exit = state;
        for (var turn = 0; turn < 3; turn++)
        {
            var end = Walk(body, entry);
            if (loop is ForStatementSyntax { Incrementors: var incrementors })
            {
                foreach (var incrementor in incrementors)
                {
                    end = Through(incrementor, end);
                }
            }

            if (header is not null && loop is not CommonForEachStatementSyntax)
            {
                end = Through(header, end);
            }

            // A break or continue leaves from a point of the body the walk did not follow.
            if (Contains(body, s => s is BreakStatementSyntax or ContinueStatementSyntax) && CallsGuest(body))
            {
                end = State.Stale;
            }

            var next = Join(entry, end);
            exit = Join(exit, end);
            if (next == entry)
            {
                break;
            }

            entry = next;
        }

        return exit;
    }

    /// <summary>The state after a statement or expression that does not branch: stale after a guest call, fresh after the view is assigned.</summary>
    private State Through(SyntaxNode node, State state)
    {
        if (state == State.Unreached)
        {
            return state;
        }

        if (CallsGuest(node))
        {
            state = State.Stale;
        }

        if (AssignsView(node))
        {
            state = State.Fresh;
        }

        return state;
    }

    private bool CallsGuest(SyntaxNode node) => ViewReacquirePlanner.ContainsGuestCall(_model, _semantics, node, _cancellationToken);

    /// <summary><c>view = ...</c>, <c>view = ref ...</c>, <c>TryGetMemorySpan(..., out view)</c>, or the declaration of the view.</summary>
    private bool AssignsView(SyntaxNode node)
    {
        foreach (var descendant in node.DescendantNodesAndSelf(n => n is not AnonymousFunctionExpressionSyntax and not LocalFunctionStatementSyntax))
        {
            switch (descendant)
            {
                case VariableDeclaratorSyntax declarator when declarator.Identifier.ValueText == _view.Name
                                                              && SymbolEqualityComparer.Default.Equals(_model.GetDeclaredSymbol(declarator, _cancellationToken), _view):
                    return true;
                case AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax left }
                    when left.Identifier.ValueText == _view.Name && IsView(left) && (!_view.IsRef || descendant is AssignmentExpressionSyntax { Right: RefExpressionSyntax }):
                    return true;
                case ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.OutKeyword, Expression: IdentifierNameSyntax outName }
                    when outName.Identifier.ValueText == _view.Name && IsView(outName):
                    return true;
            }
        }

        return false;
    }

    private bool IsView(IdentifierNameSyntax name)
        => SymbolEqualityComparer.Default.Equals(_model.GetSymbolInfo(name, _cancellationToken).Symbol, _view);

    private static bool Contains(SyntaxNode node, System.Func<SyntaxNode, bool> predicate)
        => node.DescendantNodesAndSelf(n => n is not AnonymousFunctionExpressionSyntax and not LocalFunctionStatementSyntax).Any(predicate);

    private static State Join(State left, State right)
        => left == State.Unreached ? right : right == State.Unreached ? left : left == State.Fresh && right == State.Fresh ? State.Fresh : State.Stale;
}
