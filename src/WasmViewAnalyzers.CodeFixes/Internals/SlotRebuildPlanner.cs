using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;
using WasmViewAnalyzers.Engine;
using WasmViewAnalyzers.Engine.Flow;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// A struct from a helper of the user's that holds a view into guest memory beside the guest
/// address it is over (DotNetIsolator's shadow-stack slot, built by
/// <c>new StackSlot&lt;T&gt;(ref MemoryMarshal.AsRef&lt;T&gt;(_memory.GetSpan(sp, Unsafe.SizeOf&lt;T&gt;())), sp)</c>
/// after the helper moved the guest's stack pointer), kept across a guest call: after the call the
/// struct is built again over the address it holds, by the part of the helper that only builds it
/// (<c>args = new StackSlot&lt;SpawnArgs&gt;(ref MemoryMarshal.AsRef&lt;SpawnArgs&gt;(_memory.GetSpan(args.Address, ...)), args.Address);</c>).
/// The helper itself allocates and cannot run again; the address is where the slot is, so the code
/// reads and writes what it did, at the same place in guest memory, whether or not the memory moved.
/// </summary>
/// <remarks>
/// Offered where the helper is called on this object (its memory is the one the method can name),
/// returns one <c>new</c> of the struct, whose constructor only stores each of its parameters in a
/// field or auto-property (so the struct is all its arguments), one of them a local or parameter of
/// the helper never assigned again, kept in a member the use can read; every other argument,
/// with the helper's locals it reads put in their place, calls nothing but
/// <c>MemoryMarshal</c>, <c>Unsafe</c>, Wasmtime's <c>GetSpan</c>/<c>GetPointer</c> and span members, and
/// reads no field that is not readonly; and the struct local is assigned nowhere else.
/// </remarks>
internal static partial class SlotRebuildPlanner
{
    public static IReadOnlyList<FixEdit>? Plan(FindingContext finding)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        if (finding.Facts is not { } facts
            || facts.Acquisition.Syntax.SyntaxTree != model.SyntaxTree
            || finding.Location is not IdentifierNameSyntax name
            || model.GetSymbolInfo(name, cancellationToken).Symbol is not ILocalSymbol { DeclaringSyntaxReferences.Length: 1 } read
            || SlotOf(model, read, cancellationToken) is not ({ Type: INamedTypeSymbol { TypeKind: TypeKind.Struct } slotType } slot, var derived)
            || slot.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Initializer.Value: { } initializer } declarator
            || model.GetOperation(initializer, cancellationToken) is not IInvocationOperation { TargetMethod: { } called } invocation
            || declarator.Parent?.Parent is not LocalDeclarationStatementSyntax { AwaitKeyword.RawKind: 0, Parent: BlockSyntax or SwitchSectionSyntax } declaration
            || ViewReacquirePlanner.EnclosingFunction(declaration) is not { } body
            || ViewReacquirePlanner.EnclosingFunction(name) != body
            || ViewReacquirePlanner.StatementBefore(name, body) is not { } before
            || before.SpanStart < declaration.Span.End
            || model.GetEnclosingSymbol(name.SpanStart, cancellationToken) is not { } caller
            || Receiver(finding, invocation, caller, before.SpanStart) is not { } receiver
            || Rebuilt(finding, called, slot, slotType, before.SpanStart, receiver) is not { } rebuilt)
        {
            return null;
        }

        // Obtained where it is declared, from the helper; or built again by this fix before, for an earlier use.
        var rebuild = ParseStatement($"{slot.Name} = {rebuilt};").WithAdditionalAnnotations(Simplifier.Annotation);
        if (!ObtainedByTheHelperOrAgain(facts, atDeclaration: facts.Acquisition.Syntax == initializer, rebuild))
        {
            return null;
        }

        var sources = new List<(ILocalSymbol Local, SyntaxNode Source, StatementSyntax Reacquire)> { (slot, declaration, rebuild) };
        if (derived is { } member)
        {
            // ref var invocation = ref slot.Value: bound again to the member of the slot built again.
            var rebind = ParseStatement($"{read.Name} = ref {slot.Name}.{member.Identifier.ValueText};");
            if (member.Ancestors().OfType<LocalDeclarationStatementSyntax>().FirstOrDefault() is not { Parent: BlockSyntax or SwitchSectionSyntax } derivedDeclaration
                || before.SpanStart < derivedDeclaration.Span.End
                || IsReboundElsewhere(model, read, body, rebind, cancellationToken))
            {
                return null;
            }

            sources.Add((read, derivedDeclaration, rebind));
        }

        if (IsChangedElsewhere(model, slot, body, declarator, rebuild, cancellationToken)
            || ViewReacquirePlanner.Placed(finding, name, before, sources, (_, _) => true, null) is not { } plan)
        {
            return null;
        }

        // A slot declared by `using var` cannot be assigned: its disposal moves to a copy declared
        // right after it (`using var errorScope = error;`), which disposes the same slot at the same
        // point, and the slot becomes a plain local the rebuilding can assign.
        var reacquire = new ReacquireEdit(plan, finding.Semantics, model);
        return declaration.UsingKeyword.IsKind(SyntaxKind.None)
            ? new FixEdit[] { reacquire }
            : new FixEdit[] { new UsingScopeEdit(declaration, slot.Name, SyntaxHelpers.UniqueName(model, declaration.Span.End, slot.Name + "Scope", cancellationToken)), reacquire };
    }

    /// <summary>
    /// <c>using var slot = Push();</c> becomes <c>var slot = Push(); using var slotScope = slot;</c>: the
    /// same disposal, at the same point, of a copy of the same slot, so that the slot can be assigned.
    /// Rewrites only the <c>using</c> keyword of the declaration (what <see cref="ReacquireEdit"/> relies
    /// on, the declaration of the local, stays as it is), and one edit serves every finding of the slot.
    /// </summary>
    internal sealed class UsingScopeEdit : FixEdit
    {
        private readonly LocalDeclarationStatementSyntax _declaration;
        private readonly string _slot;
        private readonly string _scope;

        public UsingScopeEdit(LocalDeclarationStatementSyntax declaration, string slot, string scope)
        {
            _declaration = declaration;
            _slot = slot;
            _scope = scope;
        }

        public override string Key => "using-scope:" + _declaration.SpanStart;

        public override TextSpan Span => _declaration.UsingKeyword.Span;

        public override SyntaxTree Tree => _declaration.SyntaxTree;

        public override void Apply(DocumentEditor editor, FixApplication application)
        {
            var scope = ParseStatement($"using var {_scope} = {_slot};")
                .WithLeadingTrivia(SyntaxHelpers.Indentation(_declaration))
                .WithTrailingTrivia(SyntaxHelpers.EndOfLineAfter(_declaration));
            editor.InsertAfter(_declaration, scope);
            editor.ReplaceNode(_declaration, (node, _) =>
            {
                var statement = (LocalDeclarationStatementSyntax)node;
                return statement.WithUsingKeyword(default).WithLeadingTrivia(statement.GetLeadingTrivia());
            });
        }
    }

    /// <summary>
    /// Whether the view the use reads was obtained by the helper where the slot is declared
    /// (<paramref name="atDeclaration"/>), or again by this fix for an earlier use, by a statement as
    /// <paramref name="again"/> (a Fix All applied one finding at a time).
    /// </summary>
    private static bool ObtainedByTheHelperOrAgain(FindingFacts facts, bool atDeclaration, StatementSyntax again)
        => atDeclaration
            ? facts.AcquisitionKind == AcquisitionKind.Helper
            : facts.Acquisition.Syntax.Ancestors().OfType<ExpressionStatementSyntax>().Any(earlier => earlier.IsEquivalentTo(again.WithTriviaFrom(earlier), topLevel: false));

    /// <summary>
    /// How the use names the helper's object: itself (<see cref="HelperObject.This"/>), or a readonly
    /// field of the method's type made once by <c>new</c> of the helper's type (<c>_stack = new
    /// ShadowStack(_memory, ...)</c>), whose members the use reads back through what the
    /// constructor was given; none for another object.
    /// </summary>
    private static HelperObject? Receiver(FindingContext finding, IInvocationOperation invocation, ISymbol caller, int position)
    {
        var called = invocation.TargetMethod;
        switch (invocation.Instance?.WalkDownConversions())
        {
            case null or IInstanceReferenceOperation:
                return SymbolEqualityComparer.Default.Equals(caller.ContainingType, called.ContainingType) && (!caller.IsStatic || called.IsStatic) ? HelperObject.This : null;
            case IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation, Field: { IsReadOnly: true, IsStatic: false } field }
                when SymbolEqualityComparer.Default.Equals(field.ContainingType, caller.ContainingType)
                     && !caller.IsStatic
                     && finding.Model.LookupSymbols(position, name: field.Name) is { Length: 1 } seen
                     && SymbolEqualityComparer.Default.Equals(seen[0], field):
                return Creation(finding, field, called.ContainingType) is { } creation ? new HelperObject(field.Name, creation) : null;
            default:
                return null;
        }
    }

    /// <summary>The one <c>new</c> of <paramref name="type"/> the readonly <paramref name="field"/> is given, in its initializer or a constructor.</summary>
    private static IObjectCreationOperation? Creation(FindingContext finding, IFieldSymbol field, INamedTypeSymbol type)
    {
        var cancellationToken = finding.CancellationToken;
        var values = new List<IOperation>();
        foreach (var declaration in field.ContainingType.DeclaringSyntaxReferences.Select(reference => reference.GetSyntax(cancellationToken)))
        {
            var model = SyntaxHelpers.ModelOf(finding.Model, declaration.SyntaxTree);
            foreach (var node in declaration.DescendantNodes())
            {
                if (node is VariableDeclaratorSyntax { Initializer.Value: { } value } declarator && SymbolEqualityComparer.Default.Equals(model.GetDeclaredSymbol(declarator, cancellationToken), field))
                {
                    values.Add(model.GetOperation(value, cancellationToken)!);
                }
                else if (node is AssignmentExpressionSyntax { Left: var left } assignment
                         && left is IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax }
                         && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(left, cancellationToken).Symbol, field))
                {
                    values.Add(model.GetOperation(assignment.Right, cancellationToken)!);
                }
            }
        }

        return values.Count == 1 && values[0]?.WalkDownConversions() is IObjectCreationOperation creation && SymbolEqualityComparer.Default.Equals(creation.Type, type) ? creation : null;
    }

    /// <summary>
    /// A member of the helper's object as the use names it: itself, or through the object's creation,
    /// a readonly field or primary-constructor parameter of it that holds what its constructor was
    /// given, where that was a readonly field or get-only property of the use's type.
    /// </summary>
    private sealed class HelperObject
    {
        public static readonly HelperObject This = new(null, null);

        private readonly IObjectCreationOperation? _creation;

        public HelperObject(string? name, IObjectCreationOperation? creation)
        {
            Name = name;
            _creation = creation;
        }

        /// <summary>The field that holds the object; none where it is this one.</summary>
        public string? Name { get; }

        public ISymbol? Given(ISymbol member, CancellationToken cancellationToken)
        {
            if (_creation?.Constructor is not { } constructor || ParameterHolding(member, constructor, cancellationToken) is not { } parameter)
            {
                return null;
            }

            var given = _creation.Arguments.FirstOrDefault(argument => SymbolEqualityComparer.Default.Equals(argument.Parameter, parameter))?.Value.WalkDownConversions();
            return given switch
            {
                IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation, Field: { IsReadOnly: true } field } => field,
                IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation, Property: { SetMethod: null, IsIndexer: false } property } => property,
                _ => null,
            };
        }

        /// <summary>The constructor parameter <paramref name="member"/> is: a primary constructor's, or the one a readonly field is given in the constructor's body (a block, or <c>=&gt; _memory = memory;</c>) and nowhere else.</summary>
        private static IParameterSymbol? ParameterHolding(ISymbol member, IMethodSymbol constructor, CancellationToken cancellationToken)
        {
            switch (member)
            {
                case IParameterSymbol parameter when SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, constructor):
                    return parameter;
                case IFieldSymbol { IsReadOnly: true } field when constructor.ContainingType.InstanceConstructors.Length == 1
                                                                 && constructor.DeclaringSyntaxReferences.Length == 1
                                                                 && constructor.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is ConstructorDeclarationSyntax declaration
                                                                 && (declaration.Body?.Statements.Select(statement => (statement as ExpressionStatementSyntax)?.Expression)
                                                                     ?? (declaration.ExpressionBody is { } arrow ? new[] { arrow.Expression } : null)) is { } effects:
                    var stores = effects
                        .Select(effect => effect as AssignmentExpressionSyntax)
                        .Where(assignment => assignment is not null && (assignment.Left as IdentifierNameSyntax ?? (assignment.Left as MemberAccessExpressionSyntax)?.Name)?.Identifier.ValueText == field.Name)
                        .ToList();
                    return stores.Count == 1 && stores[0]!.Right is IdentifierNameSyntax { Identifier.ValueText: var name }
                           && !field.DeclaringSyntaxReferences.Any(reference => reference.GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer: not null })
                        ? constructor.Parameters.FirstOrDefault(parameter => parameter.Name == name)
                        : null;
                default:
                    return null;
            }
        }
    }

    /// <summary>
    /// The helper's <c>new</c> of the struct written at the use: the address argument read back
    /// from the slot, the helper's locals put in their place, its type parameters given the call's
    /// type arguments; none where any of it is not a pure rebuilding of the view over that address.
    /// </summary>
    private static string? Rebuilt(FindingContext finding, IMethodSymbol called, ILocalSymbol slot, INamedTypeSymbol slotType, int position, HelperObject receiver)
    {
        var cancellationToken = finding.CancellationToken;
        var compilation = finding.Model.Compilation;
        var helper = called.OriginalDefinition;
        if (helper.MethodKind != MethodKind.Ordinary
            || helper.ContainingType.IsGenericType
            || helper.DeclaringSyntaxReferences.Length != 1
            || helper.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not MethodDeclarationSyntax method
            || !compilation.ContainsSyntaxTree(method.SyntaxTree)
            || Returned(method) is not BaseObjectCreationExpressionSyntax { ArgumentList: { } arguments } creation)
        {
            return null;
        }

        var model = SyntaxHelpers.ModelOf(finding.Model, method.SyntaxTree);
        if (model.GetOperation(creation, cancellationToken) is not IObjectCreationOperation { Constructor: { } constructor } operation
            || !SymbolEqualityComparer.Default.Equals(operation.Type?.OriginalDefinition, slotType.OriginalDefinition)
            || StoredMembers(constructor, cancellationToken) is not { } stored)
        {
            return null;
        }

        // The address: a variable of the helper, never assigned after it is declared, kept in a member the use can read.
        ISymbol? address = null;
        string? addressRead = null;
        foreach (var argument in operation.Arguments)
        {
            var value = argument.Value.WalkDownConversions();
            if (argument.Parameter is { } parameter
                && (value switch { ILocalReferenceOperation { Local.IsRef: false } local => local.Local, IParameterReferenceOperation { Parameter.RefKind: RefKind.None } reference => (ISymbol)reference.Parameter, _ => null }) is { } variable
                && stored[parameter.Ordinal] is { } member
                && finding.Model.IsAccessible(position, member)
                && !ViewReacquirePlanner.References(model, variable, method, cancellationToken).Any(reference => ViewReacquirePlanner.IsWrite(reference) && reference.Parent is not VariableDeclaratorSyntax))
            {
                address = variable;
                addressRead = slot.Name + "." + member.Name;
                break;
            }
        }

        if (address is null || addressRead is null)
        {
            return null;
        }

        var typeArguments = helper.TypeParameters.Select((parameter, i) => (parameter, called.TypeArguments[i].ToMinimalDisplayString(finding.Model, position))).ToList();
        var rewriter = new Rewriter(model, finding.Semantics, method, address, addressRead, typeArguments, receiver, type => type.ToMinimalDisplayString(finding.Model, position), cancellationToken);
        var rewritten = (ArgumentListSyntax)rewriter.Visit(arguments);
        if (rewriter.Refused
            || !rewriter.ReadsMemory
            || rewriter.Members.Any(member => finding.Model.LookupSymbols(position, name: member.Name) is not { Length: 1 } seen || !SymbolEqualityComparer.Default.Equals(seen[0], member)))
        {
            return null;
        }

        return $"new {slotType.ToMinimalDisplayString(finding.Model, position)}{rewritten.NormalizeWhitespace().ToFullString()}";
    }

    /// <summary>The one value the helper returns: its expression body, or the one return statement of its body.</summary>
    private static ExpressionSyntax? Returned(MethodDeclarationSyntax method)
    {
        if (method.ExpressionBody is { } arrow)
        {
            return arrow.Expression;
        }

        var returns = method.Body?.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)).OfType<ReturnStatementSyntax>().ToList();
        return returns is { Count: 1 } && returns[0].Parent == method.Body ? returns[0].Expression : null;
    }

    /// <summary>
    /// For each constructor parameter, the field or auto-property it is stored in; none where the
    /// constructor does anything else or leaves a member of the struct to its default.
    /// </summary>
    private static ISymbol?[]? StoredMembers(IMethodSymbol constructor, CancellationToken cancellationToken)
    {
        if (constructor.DeclaringSyntaxReferences.Length != 1
            || constructor.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not ConstructorDeclarationSyntax { Initializer: null, Body: { } body })
        {
            return null;
        }

        var stored = new ISymbol?[constructor.Parameters.Length];
        var members = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var statement in body.Statements)
        {
            if (statement is not ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment })
            {
                return null;
            }

            var target = assignment.Left is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } access ? access.Name.Identifier.ValueText : (assignment.Left as IdentifierNameSyntax)?.Identifier.ValueText;
            var source = (assignment.Right is RefExpressionSyntax reference ? reference.Expression : assignment.Right) as IdentifierNameSyntax;
            var parameter = constructor.Parameters.FirstOrDefault(p => p.Name == source?.Identifier.ValueText);
            var member = constructor.ContainingType.GetMembers(target ?? string.Empty).FirstOrDefault(m => m is IFieldSymbol { IsStatic: false } or IPropertySymbol { IsStatic: false, SetMethod: null, IsIndexer: false });
            if (parameter is null || member is null || !members.Add(member))
            {
                return null;
            }

            stored[parameter.Ordinal] = member;
        }

        // Every instance field, and the field behind every auto-property, is one of them.
        var all = constructor.ContainingType.GetMembers().OfType<IFieldSymbol>().Where(field => !field.IsStatic && !field.IsConst);
        return all.All(field => members.Contains(field.AssociatedSymbol ?? field)) ? stored : null;
    }

    /// <summary>
    /// The struct local the use reads: the local itself, or the one a <c>ref</c> local is bound to a
    /// member of where it is declared (<c>ref Invocation invocation = ref slot.Value;</c>), with that member.
    /// </summary>
    private static (ILocalSymbol Slot, SimpleNameSyntax? Member)? SlotOf(SemanticModel model, ILocalSymbol read, CancellationToken cancellationToken)
    {
        if (!read.IsRef)
        {
            return (read, null);
        }

        return read.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer.Value: RefExpressionSyntax { Expression: MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression, Expression: IdentifierNameSyntax holder } access } }
               && model.GetSymbolInfo(holder, cancellationToken).Symbol is ILocalSymbol { IsRef: false, DeclaringSyntaxReferences.Length: 1 } slot
               && model.GetSymbolInfo(access, cancellationToken).Symbol is IFieldSymbol { RefKind: not RefKind.None } or IPropertySymbol { ReturnsByRef: true }
            ? (slot, access.Name)
            : null;
    }

    /// <summary>Whether the <c>ref</c> local is bound to anything else anywhere but its declaration and the binding this fix writes.</summary>
    private static bool IsReboundElsewhere(SemanticModel model, ILocalSymbol local, SyntaxNode body, StatementSyntax rebind, CancellationToken cancellationToken)
        => ViewReacquirePlanner.References(model, local, body, cancellationToken).Any(reference =>
            reference.Parent is AssignmentExpressionSyntax { Right: RefExpressionSyntax } assignment
            && assignment.Left == reference
            && !(assignment.Parent is ExpressionStatementSyntax statement && statement.IsEquivalentTo(rebind.WithTriviaFrom(statement), topLevel: false)));

    /// <summary>Whether the struct local is written anywhere but its declaration, other than by a rebuilding as this fix writes it, or a field of it re-bound.</summary>
    private static bool IsChangedElsewhere(SemanticModel model, ILocalSymbol slot, SyntaxNode body, VariableDeclaratorSyntax declarator, StatementSyntax rebuild, CancellationToken cancellationToken)
        => ViewReacquirePlanner.IsWrittenBesides(model, slot, body, declarator, rebuild, reference => ViewReacquirePlanner.IsWrite(reference) || IsMemberWrite(model, reference, cancellationToken), cancellationToken);

    /// <summary><c>slot.Field = ...</c> or <c>slot.Value = ref ...</c>: a member of the local itself changed, which a rebuilding would undo.</summary>
    private static bool IsMemberWrite(SemanticModel model, IdentifierNameSyntax reference, CancellationToken cancellationToken)
        => reference.Parent is MemberAccessExpressionSyntax { Parent: AssignmentExpressionSyntax assignment } access
           && access.Expression == reference
           && assignment.Left == access
           && (assignment.Right is RefExpressionSyntax || model.GetSymbolInfo(access, cancellationToken).Symbol is IFieldSymbol { RefKind: RefKind.None } or IPropertySymbol { ReturnsByRef: false });

    /// <summary>The helper's arguments rewritten for the use: refuses whatever would not evaluate to the same view over the same address.</summary>
    private sealed class Rewriter : CSharpSyntaxRewriter
    {
        private readonly SemanticModel _model;
        private readonly WasmViewSemantics _semantics;
        private readonly SyntaxNode _method;
        private readonly ISymbol _address;
        private readonly string _addressRead;
        private readonly List<(ITypeParameterSymbol Parameter, string Argument)> _typeArguments;
        private readonly CancellationToken _cancellationToken;
        private readonly HelperObject _receiver;
        private readonly HashSet<ILocalSymbol> _inlining = new(SymbolEqualityComparer.Default);
        private readonly System.Func<ITypeSymbol, string> _nameAtUse;

        public Rewriter(SemanticModel model, WasmViewSemantics semantics, SyntaxNode method, ISymbol address, string addressRead, List<(ITypeParameterSymbol, string)> typeArguments, HelperObject receiver, System.Func<ITypeSymbol, string> nameAtUse, CancellationToken cancellationToken)
        {
            _model = model;
            _nameAtUse = nameAtUse;
            _semantics = semantics;
            _method = method;
            _address = address;
            _addressRead = addressRead;
            _typeArguments = typeArguments;
            _receiver = receiver;
            _cancellationToken = cancellationToken;
        }

        public bool Refused { get; private set; }

        public bool ReadsMemory { get; private set; }

        /// <summary>Whether the field that holds the address was read (and replaced by the address kept).</summary>
        public bool ReadsAddress { get; private set; }

        public override SyntaxNode? VisitMemberAccessExpression(MemberAccessExpressionSyntax node)
            => node.Expression is ThisExpressionSyntax && _address is IFieldSymbol && SymbolEqualityComparer.Default.Equals(_model.GetSymbolInfo(node.Name, _cancellationToken).Symbol, _address)
                ? Visit(node.Name)
                : base.VisitMemberAccessExpression(node);

        /// <summary>The members of the helper's type named without a receiver: the use must see the same ones.</summary>
        public HashSet<ISymbol> Members { get; } = new(SymbolEqualityComparer.Default);

        public override SyntaxNode? VisitInvocationExpression(InvocationExpressionSyntax node)
        {
            if (_model.GetSymbolInfo(node, _cancellationToken).Symbol is not IMethodSymbol method || !IsPureBuilding(method))
            {
                Refused = true;
                return node;
            }

            return base.VisitInvocationExpression(node);
        }

        public override SyntaxNode? VisitObjectCreationExpression(ObjectCreationExpressionSyntax node)
            => Refuse(node);

        public override SyntaxNode? VisitImplicitObjectCreationExpression(ImplicitObjectCreationExpressionSyntax node)
            => Refuse(node);

        public override SyntaxNode? VisitAssignmentExpression(AssignmentExpressionSyntax node)
            => Refuse(node);

        public override SyntaxNode? VisitPostfixUnaryExpression(PostfixUnaryExpressionSyntax node)
            => node.IsKind(SyntaxKind.SuppressNullableWarningExpression) ? base.VisitPostfixUnaryExpression(node) : Refuse(node);

        public override SyntaxNode? VisitAnonymousMethodExpression(AnonymousMethodExpressionSyntax node) => Refuse(node);

        public override SyntaxNode? VisitSimpleLambdaExpression(SimpleLambdaExpressionSyntax node) => Refuse(node);

        public override SyntaxNode? VisitParenthesizedLambdaExpression(ParenthesizedLambdaExpressionSyntax node) => Refuse(node);

        public override SyntaxNode? VisitIdentifierName(IdentifierNameSyntax node)
        {
            var symbol = _model.GetSymbolInfo(node, _cancellationToken).Symbol;
            switch (symbol)
            {
                case null:
                    return Refuse(node);
                case ITypeParameterSymbol parameter:
                    var argument = _typeArguments.FirstOrDefault(each => SymbolEqualityComparer.Default.Equals(each.Parameter, parameter)).Argument;
                    return argument is null ? Refuse(node) : ParseTypeName(argument).WithTriviaFrom(node);
                case ILocalSymbol or IParameterSymbol when SymbolEqualityComparer.Default.Equals(symbol, _address):
                    return ParseExpression(_addressRead).WithTriviaFrom(node);
                case IFieldSymbol when SymbolEqualityComparer.Default.Equals(symbol, _address):
                    if (IsMemberName(node) && node.Parent is not MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax })
                    {
                        return Refuse(node);
                    }

                    ReadsAddress = true;
                    return ParseExpression(_addressRead).WithTriviaFrom(node);
                case ILocalSymbol local:
                    return Inlined(node, local);
                case IParameterSymbol parameter:
                    return _receiver.Name is not null && parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor } ? ThroughReceiver(node, parameter) : Refuse(node);
                case IFieldSymbol { IsStatic: false, IsConst: false } field when _receiver.Name is not null && !IsMemberName(node):
                    return ThroughReceiver(node, field);
                case IFieldSymbol field:
                    Named(node, field);
                    return field.IsReadOnly || field.IsConst ? base.VisitIdentifierName(node) : Refuse(node);
                case IPropertySymbol { IsStatic: false } when _receiver.Name is not null && !IsMemberName(node):
                    return Refuse(node);
                case IPropertySymbol property:
                    Named(node, property);
                    return property.SetMethod is null && !property.IsIndexer && (property.DeclaringSyntaxReferences.IsEmpty ? _semantics.Symbols.IsSpanLike(property.ContainingType) : IsAutoProperty(property))
                        ? base.VisitIdentifierName(node)
                        : Refuse(node);
                case INamedTypeSymbol type when !IsMemberName(node):
                    // Unsafe.SizeOf<T>(): the helper's file may have a using the use's file lacks.
                    return ParseTypeName(_nameAtUse(type)).WithTriviaFrom(node);
                default:
                    return base.VisitIdentifierName(node);
            }
        }

        public override SyntaxNode? VisitThisExpression(ThisExpressionSyntax node)
            => _receiver.Name is { } name
                ? node.Parent is MemberAccessExpressionSyntax ? Refuse(node) : IdentifierName(name).WithTriviaFrom(node)
                : base.VisitThisExpression(node);

        private static bool IsMemberName(IdentifierNameSyntax node) => node.Parent is MemberAccessExpressionSyntax access && access.Name == node;

        private void Named(IdentifierNameSyntax node, ISymbol member)
        {
            if (!IsMemberName(node))
            {
                Members.Add(member);
            }
        }

        /// <summary>A member of the helper's object, named at the use by what its constructor was given there.</summary>
        private SyntaxNode ThroughReceiver(IdentifierNameSyntax node, ISymbol member)
        {
            if (_receiver.Given(member, _cancellationToken) is not { } given)
            {
                return Refuse(node);
            }

            Members.Add(given);
            return IdentifierName(given.Name).WithTriviaFrom(node);
        }

        /// <summary>A local of the helper declared once from a value and never assigned (a ref local never re-bound): that value, rewritten too.</summary>
        private SyntaxNode Inlined(IdentifierNameSyntax node, ILocalSymbol local)
        {
            if (local.DeclaringSyntaxReferences.Length != 1
                || local.DeclaringSyntaxReferences[0].GetSyntax(_cancellationToken) is not VariableDeclaratorSyntax { Initializer.Value: { } value }
                || ViewReacquirePlanner.References(_model, local, _method, _cancellationToken).Any(reference => local.IsRef ? reference.Parent is AssignmentExpressionSyntax { Right: RefExpressionSyntax } rebinding && rebinding.Left == reference : ViewReacquirePlanner.IsWrite(reference))
                || !_inlining.Add(local))
            {
                return Refuse(node);
            }

            var expression = value is RefExpressionSyntax reference ? reference.Expression : value;
            var rewritten = ((ExpressionSyntax)Visit(expression)).WithoutTrivia();
            _inlining.Remove(local);
            return (rewritten is InvocationExpressionSyntax or MemberAccessExpressionSyntax or IdentifierNameSyntax or ElementAccessExpressionSyntax ? rewritten : ParenthesizedExpression(rewritten)).WithTriviaFrom(node);
        }

        private bool IsPureBuilding(IMethodSymbol method)
        {
            var symbols = _semantics.Symbols;
            if (symbols.IsWasmtimeType(method.ContainingType, symbols.Memory))
            {
                ReadsMemory |= method.Name is "GetSpan" or "GetPointer";
                return method.Name is "GetSpan" or "GetPointer";
            }

            return method.ContainingType is { Name: "MemoryMarshal" or "Unsafe", ContainingNamespace: { } ns }
                       && ns.ToDisplayString() is "System.Runtime.InteropServices" or "System.Runtime.CompilerServices"
                       && method.Name is not ("Write" or "WriteUnaligned" or "Copy" or "CopyBlock" or "CopyBlockUnaligned" or "InitBlock" or "InitBlockUnaligned" or "TryWrite")
                   || (symbols.IsSpanLike(method.ContainingType) && method.Name is "Slice");
        }

        private static bool IsAutoProperty(IPropertySymbol property)
            => property.ContainingType.GetMembers().OfType<IFieldSymbol>().Any(field => SymbolEqualityComparer.Default.Equals(field.AssociatedSymbol, property));

        private SyntaxNode Refuse(SyntaxNode node)
        {
            Refused = true;
            return node;
        }
    }
}
