using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;
using WasmViewAnalyzers.Engine;
using WasmViewAnalyzers.Engine.Flow;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>One planned read made before the guest call: <see cref="Read"/> into a local declared right before <see cref="Before"/>.</summary>
internal sealed class ReadBeforeCallPlan
{
    public ReadBeforeCallPlan(ExpressionSyntax read, StatementSyntax before, string baseName)
    {
        Read = read;
        Before = before;
        BaseName = baseName;
    }

    /// <summary>The smallest expression around the stale use whose value no longer refers to guest memory.</summary>
    public ExpressionSyntax Read { get; }

    /// <summary>The statement that makes the guest call.</summary>
    public StatementSyntax Before { get; }

    public string BaseName { get; }
}

/// <summary>
/// <c>_process(n); var level = status[0];</c> becomes <c>var status0 = status[0]; _process(n); var
/// level = status0;</c>: the stale use is part of a read whose value no longer refers to guest memory
/// (a scalar, a string, an array it made), which is made before the guest call. Whatever holds the
/// view, the read is the same. Offered only where the read runs each time the call's statement
/// runs, reads the same inputs there, does nothing but read, and where the guest is not expected to
/// write what is read: the host wrote nothing through the view before the call, and the call is
/// not given the view nor the address it was obtained from (there the program reads the guest's
/// output, and obtaining the view again is the fix).
/// </summary>
internal static class ReadBeforeCallPlanner
{
    private static readonly SyntaxAnnotation BeforeAnnotation = new();

    public static ReadBeforeCallPlan? Plan(FindingContext finding)
    {
        var model = finding.Model;
        var semantics = finding.Semantics;
        var cancellationToken = finding.CancellationToken;
        if (finding.Facts is not { InvalidatedBy: { } invalidating } facts
            || invalidating.Operation.Syntax.SyntaxTree != model.SyntaxTree
            || facts.Location.Syntax.SyntaxTree != model.SyntaxTree
            || finding.Location is not ExpressionSyntax use
            || SyntaxHelpers.EnclosingFunction(use) is not { } function
            || SyntaxHelpers.EnclosingFunction(invalidating.Operation.Syntax) != function
            || ReadAround(model, semantics, use, cancellationToken) is not { } read)
        {
            return null;
        }

        // The statement list that holds both the call and the read; the read's statement is the
        // call's own or a later one.
        var call = invalidating.Operation.Syntax;
        var list = call.Ancestors().FirstOrDefault(n => n is BlockSyntax or SwitchSectionSyntax && n.Span.Contains(read.Span) && SyntaxHelpers.EnclosingFunction(n) == function);
        if (list is null
            || StatementIn(list, call) is not { } callStatement
            || StatementIn(list, read) is not { } readStatement
            || readStatement.SpanStart < callStatement.SpanStart
            || (readStatement == callStatement && read.SpanStart < call.Span.End)
            || callStatement is LabeledStatementSyntax or LocalFunctionStatementSyntax
            || !IsEvaluatedWhenReached(model, read, readStatement, cancellationToken)
            || !RunsWheneverTheCallRuns(list, callStatement, readStatement, read)
            || (SyntaxHelpers.IsUnsafeContext(read) && !SyntaxHelpers.IsUnsafeContext(callStatement))
            || !ReadsOnly(model, semantics, read, cancellationToken)
            || !InputsKept(model, semantics, read, callStatement, function, cancellationToken)
            || !IsFreshBefore(model, semantics, callStatement, facts.Acquisition.Syntax, cancellationToken)
            || GuestMayWriteWhatIsRead(model, semantics, facts, use, read, callStatement, function, cancellationToken))
        {
            return null;
        }

        var plan = new ReadBeforeCallPlan(read, callStatement, NameFor(read));
        return Compiles(model, plan, list, cancellationToken) ? plan : null;
    }

    /// <summary>The statement list with the read made first: a read that names a variable declared later, or reads a value C# does not let a local take, is not offered.</summary>
    private static bool Compiles(SemanticModel model, ReadBeforeCallPlan plan, SyntaxNode list, CancellationToken cancellationToken)
    {
        var name = SyntaxHelpers.UniqueName(model, plan.Before.SpanStart, plan.BaseName, cancellationToken);
        var marked = list.ReplaceNodes(new SyntaxNode[] { plan.Read, plan.Before }, (original, rewritten) => original == plan.Read
            ? IdentifierName(name).WithTriviaFrom(original)
            : rewritten.WithAdditionalAnnotations(BeforeAnnotation));
        var before = marked.GetAnnotatedNodes(BeforeAnnotation).OfType<StatementSyntax>().Single();
        var rewritten = marked.InsertNodesBefore(before, new[] { Declaration(name, plan.Read, plan.Before) });
        return SpeculativeCompilation.Compiles(model.Compilation, new[] { (list, rewritten) }, new[] { model.SyntaxTree }, cancellationToken);
    }

    private static LocalDeclarationStatementSyntax Declaration(string name, ExpressionSyntax read, StatementSyntax before)
        => SyntaxHelpers.LocalDeclaration(name, read)
            .WithLeadingTrivia(SyntaxHelpers.Indentation(before))
            .WithTrailingTrivia(SyntaxHelpers.EndOfLineAfter(before));

    /// <summary>
    /// The smallest expression around <paramref name="use"/> whose value no longer refers to guest
    /// memory, as the engine types views: not a pointer, address, span, memory, stream, or a value
    /// that can hold one. A value read out of a struct in guest memory goes on to the field read.
    /// </summary>
    private static ExpressionSyntax? ReadAround(SemanticModel model, WasmViewSemantics semantics, ExpressionSyntax use, CancellationToken cancellationToken)
    {
        ExpressionSyntax node = use;
        while (Aliases(semantics, model.GetTypeInfo(node, cancellationToken).Type) || IsRefValue(model, node, cancellationToken))
        {
            if (ParentExpression(node) is not { } parent)
            {
                return null;
            }

            node = parent;
        }

        // info.Count of a struct read whole: the field is what is read.
        while (node.Parent is MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } member
               && member.Expression == node
               && member.Parent is not InvocationExpressionSyntax
               && model.GetSymbolInfo(member, cancellationToken).Symbol is IFieldSymbol or IPropertySymbol { IsIndexer: false }
               && model.GetTypeInfo(node, cancellationToken).Type is { IsValueType: true }
               && !Aliases(semantics, model.GetTypeInfo(member, cancellationToken).Type))
        {
            node = member;
        }

        // *(byte*)start.GetValueOrDefault() of a nint? that may be none: a null pointer read there,
        // which made first would fault before the call's own effects.
        if (node.DescendantNodesAndSelf().OfType<MemberAccessExpressionSyntax>().Any(member => model.GetTypeInfo(member.Expression, cancellationToken).Type is { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T }))
        {
            return null;
        }

        return IsRValue(model, node, cancellationToken)
               && model.GetTypeInfo(node, cancellationToken).Type is { TypeKind: not TypeKind.Error, SpecialType: not SpecialType.System_Void, IsRefLikeType: false }
               && !node.DescendantNodesAndSelf().Any(n => n is AwaitExpressionSyntax or AnonymousFunctionExpressionSyntax or QueryExpressionSyntax or StackAllocArrayCreationExpressionSyntax
                   or DeclarationExpressionSyntax or SingleVariableDesignationSyntax or RefExpressionSyntax or AssignmentExpressionSyntax or ThrowExpressionSyntax)
            ? node
            : null;
    }

    /// <summary>A value that refers to guest memory, as the engine's view kinds class it.</summary>
    private static bool Aliases(WasmViewSemantics semantics, ITypeSymbol? type)
        => type is null
           || type.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer or TypeKind.Error
           || type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr
           || type.IsRefLikeType
           || ViewKinds.OfType(type, isAddress: false, semantics.Symbols) is ViewKind.Span or ViewKind.ReadOnlySpan or ViewKind.Memory or ViewKind.ReadOnlyMemory or ViewKind.Stream or ViewKind.Manager
           || semantics.Types.CanHoldView(type);

    /// <summary>A place in guest memory rather than a value: a ref local or parameter, a call that returns by reference, as the receiver of a write or of a method.</summary>
    private static bool IsRefValue(SemanticModel model, ExpressionSyntax node, CancellationToken cancellationToken)
        => node.Parent is MemberAccessExpressionSyntax { Parent: InvocationExpressionSyntax } member
           && member.Expression == node
           && model.GetSymbolInfo(member, cancellationToken).Symbol is IMethodSymbol { IsReadOnly: false, IsStatic: false, ReceiverType.IsValueType: true } method
           && !method.ContainingType.IsReadOnly;

    /// <summary>The expression <paramref name="node"/> is a part of, across argument lists.</summary>
    private static ExpressionSyntax? ParentExpression(ExpressionSyntax node)
        => node.Parent switch
        {
            ExpressionSyntax expression => expression,
            ArgumentSyntax { Parent: ArgumentListSyntax or BracketedArgumentListSyntax, Parent.Parent: ExpressionSyntax owner } => owner,
            _ => null,
        };

    /// <summary>Read by value, not written or taken by reference, and worth a local.</summary>
    private static bool IsRValue(SemanticModel model, ExpressionSyntax node, CancellationToken cancellationToken)
    {
        var outer = node;
        while (outer.Parent is ParenthesizedExpressionSyntax parenthesized)
        {
            outer = parenthesized;
        }

        return outer.Parent switch
        {
            ExpressionStatementSyntax => false,
            AssignmentExpressionSyntax assignment => assignment.Right == outer,
            PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression or (int)SyntaxKind.AddressOfExpression } => false,
            PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } => false,
            ArgumentSyntax argument => argument.RefKindKeyword.IsKind(SyntaxKind.None),
            RefExpressionSyntax or RefTypeExpressionSyntax or MakeRefExpressionSyntax => false,
            MemberAccessExpressionSyntax member when member.Expression == outer
                => !(member.Parent is AssignmentExpressionSyntax write && write.Left == member) && !IsRefValue(model, outer, cancellationToken),
            _ => node.Parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent.Parent: LocalDeclarationStatementSyntax { IsConst: true } } },
        };
    }

    /// <summary>
    /// Whether the read is evaluated each time its statement runs: not a branch of <c>?:</c>, the
    /// right of <c>&amp;&amp;</c>, <c>||</c>, <c>??</c>, what <c>?.</c> guards, an arm, a pattern, a
    /// <c>when</c>, a lambda, an argument a <c>[Conditional]</c> method drops, an interpolation a
    /// handler may skip, nor in a nested statement run only on some passes (a branch, a loop body).
    /// </summary>
    private static bool IsEvaluatedWhenReached(SemanticModel model, ExpressionSyntax read, StatementSyntax top, CancellationToken cancellationToken)
    {
        SyntaxNode child = read;
        for (var parent = read.Parent; parent is not null && child != top; child = parent, parent = parent.Parent)
        {
            var unconditional = parent switch
            {
                ConditionalExpressionSyntax conditional => conditional.Condition == child,
                BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalAndExpression or (int)SyntaxKind.LogicalOrExpression or (int)SyntaxKind.CoalesceExpression } binary => binary.Left == child,
                AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.CoalesceAssignmentExpression } assignment => assignment.Left == child,
                ConditionalAccessExpressionSyntax access => access.Expression == child,
                SwitchExpressionSyntax @switch => @switch.GoverningExpression == child,
                IsPatternExpressionSyntax isPattern => isPattern.Expression == child,
                InterpolatedStringExpressionSyntax interpolated => model.GetTypeInfo(interpolated, cancellationToken).ConvertedType?.SpecialType == SpecialType.System_String,
                InvocationExpressionSyntax invocation => !IsDroppedByCompilation(model, invocation, cancellationToken),
                SwitchExpressionArmSyntax or WhenClauseSyntax or CatchFilterClauseSyntax or PatternSyntax or AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax
                    or QueryExpressionSyntax or QueryBodySyntax or CheckedExpressionSyntax or CheckedStatementSyntax => false,
                IfStatementSyntax @if => @if.Condition == child,
                SwitchStatementSyntax @switch => @switch.Expression == child,
                CommonForEachStatementSyntax loop => loop.Expression == child,
                ForStatementSyntax loop => loop.Declaration == child || loop.Initializers.Contains(child),
                WhileStatementSyntax or DoStatementSyntax or ElseClauseSyntax or SwitchSectionSyntax or CatchClauseSyntax or FinallyClauseSyntax or LabeledStatementSyntax => false,
                TryStatementSyntax @try => @try.Block == child,
                BlockSyntax or UsingStatementSyntax or LockStatementSyntax or FixedStatementSyntax or UnsafeStatementSyntax => true,
                StatementSyntax => true,
                _ => true,
            };

            if (!unconditional)
            {
                return false;
            }
        }

        return child == top;
    }

    /// <summary>A call of a <c>[Conditional]</c> method (<c>Debug.Assert</c>): a build without its symbol evaluates none of its arguments.</summary>
    private static bool IsDroppedByCompilation(SemanticModel model, InvocationExpressionSyntax invocation, CancellationToken cancellationToken)
        => model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol method
           && method.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "System.Diagnostics.ConditionalAttribute");

    /// <summary>
    /// Whether the read's statement runs every time the call's statement has run: nothing from the
    /// call to the read may leave the list (<c>return</c>, <c>break</c>, <c>throw</c>, <c>goto</c>),
    /// and the function has no label a <c>goto</c> could reach the read by.
    /// </summary>
    private static bool RunsWheneverTheCallRuns(SyntaxNode list, StatementSyntax callStatement, StatementSyntax readStatement, ExpressionSyntax read)
    {
        var statements = list is BlockSyntax block ? block.Statements : ((SwitchSectionSyntax)list).Statements;
        var from = statements.IndexOf(callStatement);
        var to = statements.IndexOf(readStatement);
        for (var i = from; i <= to; i++)
        {
            foreach (var node in statements[i].DescendantNodesAndSelf(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)))
            {
                if (node.SpanStart >= read.SpanStart && i == to)
                {
                    break;
                }

                // return status[0]: leaves after the read.
                if (node is ReturnStatementSyntax or BreakStatementSyntax or ContinueStatementSyntax or GotoStatementSyntax or ThrowStatementSyntax or ThrowExpressionSyntax or YieldStatementSyntax { RawKind: (int)SyntaxKind.YieldBreakStatement } or LabeledStatementSyntax
                    && !node.Span.Contains(read.Span))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Whether evaluating the read does nothing but read: each operation is one the engine judges
    /// pure (the view members and helpers whose bodies are), a read of a variable or of guest memory
    /// (an element, a dereference, a field of a struct), or a call of the BCL that only reads what
    /// it is given (<see cref="IsReadingCall"/>).
    /// </summary>
    private static bool ReadsOnly(SemanticModel model, WasmViewSemantics semantics, ExpressionSyntax read, CancellationToken cancellationToken)
    {
        if (model.GetOperation(read, cancellationToken) is not { } root || GuestCallFinder.Contains(model, semantics, read, cancellationToken))
        {
            return false;
        }

        return root.DescendantsAndSelf().All(operation => IsRead(semantics, operation, depth: 0, cancellationToken));
    }

    private static bool IsRead(WasmViewSemantics semantics, IOperation operation, int depth, CancellationToken cancellationToken)
        => operation switch
        {
            ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation or IArrayElementReferenceOperation or IInstanceReferenceOperation => true,
            IInterpolatedStringOperation or IInterpolatedStringTextOperation or IInterpolationOperation or IUtf8StringOperation => true,
            IPropertyReferenceOperation { Property.IsIndexer: true } indexer => semantics.Symbols.IsSpanLike(indexer.Property.ContainingType),
            IPropertyReferenceOperation { Property: { IsStatic: false, GetMethod: { } getter } property }
                => (!semantics.IsDeclaredInSource(property) && !property.Type.IsRefLikeType)
                   || semantics.PureSources.IsPureOperation(operation, _ => false, null, cancellationToken)
                   || IsReadingBody(semantics, getter, depth + 1, cancellationToken),

            // Encoding.UTF8, ArrayPool<byte>.Shared: a get-only static of the BCL that gives an
            // object is the same object earlier; one that gives a value (DateTime.Now) is not.
            IPropertyReferenceOperation { Property: { IsStatic: true, SetMethod: null, Type.IsReferenceType: true } property } when !semantics.IsDeclaredInSource(property) => true,
            IInvocationOperation invocation => IsReadingCall(semantics, invocation, depth, cancellationToken),
            IObjectCreationOperation creation => IsReadingCreation(semantics, creation, cancellationToken),
            { Kind: OperationKind.None or OperationKind.ImplicitIndexerReference } => true,
            _ => semantics.PureSources.IsPureOperation(operation, _ => false, null, cancellationToken),
        };

    /// <summary>
    /// A method or getter of the compilation whose body only reads: each operation a read (as at the
    /// use), a statement that computes its result, or a write of its own locals. Fields it reads are
    /// the receiver's (a struct's own), or ones that do not change once the object is built.
    /// </summary>
    private static bool IsReadingBody(WasmViewSemantics semantics, IMethodSymbol method, int depth, CancellationToken cancellationToken)
    {
        if (depth > 3 || semantics.Bodies.GetBody(method, cancellationToken) is not { } body)
        {
            return false;
        }

        foreach (var operation in body.DescendantsAndSelf())
        {
            var reads = operation switch
            {
                IMethodBodyOperation or IBlockOperation or IReturnOperation { Kind: OperationKind.Return } or IExpressionStatementOperation or IVariableDeclarationGroupOperation or IVariableDeclarationOperation
                    or IVariableDeclaratorOperation or IVariableInitializerOperation or ILoopOperation or IBranchOperation { BranchKind: BranchKind.Break or BranchKind.Continue } => true,
                IAssignmentOperation { Target: ILocalReferenceOperation or IParameterReferenceOperation { Parameter.RefKind: RefKind.None } } => true,
                IIncrementOrDecrementOperation { Target: ILocalReferenceOperation } => true,
                IFieldReferenceOperation field => field.Field.ContainingType.IsValueType && !field.Field.IsStatic || semantics.PureSources.IsStableField(field.Field, cancellationToken),
                IInvocationOperation invocation => IsReadingCall(semantics, invocation, depth, cancellationToken),
                _ => IsRead(semantics, operation, depth, cancellationToken),
            };

            if (!reads)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A call that only reads what it is given and returns what it read: the engine's pure members
    /// and helpers, a helper of the compilation whose body only reads; else a member of the BCL that returns a value, takes nothing by <c>ref</c> or <c>out</c>, and either is one of
    /// the engine's reading members or is given views only as read-only ones (a
    /// <c>ReadOnlySpan</c> parameter cannot be written nor kept); an instance method of a class
    /// only where it does not return its receiver's type (<c>StringBuilder.Append</c> changes it).
    /// </summary>
    private static bool IsReadingCall(WasmViewSemantics semantics, IInvocationOperation invocation, int depth, CancellationToken cancellationToken)
    {
        var method = invocation.TargetMethod;
        if (semantics.PureSources.IsPure(method, null, cancellationToken))
        {
            return true;
        }

        // ReadFirst(output), a helper of the compilation: only its body says whether it only reads.
        if (semantics.IsDeclaredInSource(method))
        {
            return !method.ReturnsVoid && method.Parameters.All(p => p.RefKind is RefKind.None or RefKind.In) && IsReadingBody(semantics, method, depth + 1, cancellationToken);
        }

        var effects = semantics.Symbols.Effects;
        if (method.ReturnsVoid
            || method.MethodKind == MethodKind.DelegateInvoke
            || semantics.IsDeclaredInSource(method)
            || effects.IsWriting(method)
            || method.Parameters.Any(p => p.RefKind is RefKind.Ref or RefKind.Out))
        {
            return false;
        }

        if (effects.IsOfReadingType(method))
        {
            return true;
        }

        var receiver = method.IsStatic || method.IsExtensionMethod ? null : method.ReceiverType;
        if (receiver is { IsReferenceType: true }
            && (SymbolEqualityComparer.Default.Equals(method.ReturnType, receiver) || Aliases(semantics, invocation.Instance?.Type)))
        {
            // StringBuilder.Append changes the builder; reader.ReadInt32() moves the reader over the view.
            return false;
        }

        return GivenViewsReadOnly(semantics, invocation.Arguments, staticReader: receiver is null or { IsValueType: true });
    }

    /// <summary><c>new string(span)</c>, <c>new Guid(bytes)</c>: a constructor of the BCL given views only to read.</summary>
    private static bool IsReadingCreation(WasmViewSemantics semantics, IObjectCreationOperation creation, CancellationToken cancellationToken)
        => semantics.PureSources.IsPureOperation(creation, _ => false, null, cancellationToken)
           || (creation.Constructor is { } constructor
               && !semantics.IsDeclaredInSource(constructor)
               && !constructor.ContainingType.IsRefLikeType
               && !constructor.Parameters.Any(p => p.RefKind is RefKind.Ref or RefKind.Out)
               && GivenViewsReadOnly(semantics, creation.Arguments, staticReader: true));

    /// <summary>
    /// Each argument that refers to guest memory goes to a read-only view parameter; a static
    /// reader (or a struct's method, or a constructor) may also take an address or a pointer, as
    /// <c>Marshal.PtrToStringUTF8</c> and <c>new string(sbyte*)</c> do.
    /// </summary>
    private static bool GivenViewsReadOnly(WasmViewSemantics semantics, IEnumerable<IArgumentOperation> arguments, bool staticReader)
    {
        foreach (var argument in arguments)
        {
            var value = argument.Value.WalkDownConversions();
            if (!Aliases(semantics, value.Type) && !Aliases(semantics, argument.Value.Type))
            {
                continue;
            }

            var parameter = argument.Parameter?.Type;
            if (semantics.Symbols.IsReadOnlyView(parameter) || parameter?.SpecialType == SpecialType.System_String)
            {
                continue;
            }

            if (staticReader && (parameter?.TypeKind == TypeKind.Pointer || parameter?.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr))
            {
                continue;
            }

            return false;
        }

        return true;
    }

    /// <summary>
    /// Whether every variable the read reads holds at the call what it holds at the read: declared
    /// before the call's statement, not written from there to the read (nor by a lambda or local
    /// function, which may run anywhere), and, for an array or object, not handed to a call on the
    /// way that could change it.
    /// </summary>
    private static bool InputsKept(SemanticModel model, WasmViewSemantics semantics, ExpressionSyntax read, StatementSyntax callStatement, SyntaxNode function, CancellationToken cancellationToken)
    {
        // byte Tag() => start[0]; ... Tag(): what a local function of this one reads is an input too.
        var names = read.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().ToList();
        foreach (var name in names.ToList())
        {
            if (model.GetSymbolInfo(name, cancellationToken).Symbol is IMethodSymbol { MethodKind: MethodKind.LocalFunction } local
                && local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is { } declaration
                && declaration.SyntaxTree == model.SyntaxTree)
            {
                names.AddRange(declaration.DescendantNodes().OfType<IdentifierNameSyntax>());
            }
        }

        var inputs = names
            .Select(name => model.GetSymbolInfo(name, cancellationToken).Symbol)
            .Where(symbol => symbol is ILocalSymbol or IParameterSymbol or IFieldSymbol { IsConst: false } or IPropertySymbol)
            .Where(symbol => symbol is not (ILocalSymbol or IParameterSymbol) || SyntaxHelpers.EnclosingFunction(symbol.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) ?? function) == function || symbol.ContainingSymbol is IMethodSymbol { MethodKind: not MethodKind.LocalFunction })
            .Distinct(SymbolEqualityComparer.Default)
            .ToList();
        var between = new TextSpan(callStatement.SpanStart, read.SpanStart - callStatement.SpanStart);
        var member = function.AncestorsAndSelf().FirstOrDefault(n => n is BaseMethodDeclarationSyntax or BasePropertyDeclarationSyntax or CompilationUnitSyntax) ?? function;
        foreach (var input in inputs)
        {
            if (input is ILocalSymbol local && local.DeclaringSyntaxReferences.Any(r => r.Span.Start >= callStatement.SpanStart))
            {
                return false;
            }

            foreach (var reference in ViewReacquirePlanner.References(model, input!, member, cancellationToken))
            {
                if (read.Span.Contains(reference.Span))
                {
                    continue;
                }

                var inLambda = SyntaxHelpers.EnclosingFunction(reference) != function;
                if (!inLambda && !between.Contains(reference.Span))
                {
                    continue;
                }

                if (IsWrittenThrough(reference, throughParts: true) || (!inLambda && IsHandedOver(model, semantics, reference, input!, cancellationToken)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>An array or object handed to a call (or called a method on), which may change what it holds.</summary>
    private static bool IsHandedOver(SemanticModel model, WasmViewSemantics semantics, IdentifierNameSyntax reference, ISymbol input, CancellationToken cancellationToken)
    {
        var type = input switch
        {
            ILocalSymbol local => local.Type,
            IParameterSymbol parameter => parameter.Type,
            IFieldSymbol field => field.Type,
            IPropertySymbol property => property.Type,
            _ => null,
        };
        if (type is null || type.IsValueType || type.SpecialType == SpecialType.System_String || type.TypeKind == TypeKind.Delegate)
        {
            return false;
        }

        var outer = (ExpressionSyntax)reference;
        while (outer.Parent is MemberAccessExpressionSyntax { Name: not null } access && access.Expression == outer && access.Parent is not InvocationExpressionSyntax)
        {
            outer = access;
        }

        return outer.Parent is ArgumentSyntax
               || (outer.Parent is MemberAccessExpressionSyntax { Parent: InvocationExpressionSyntax } call && call.Expression == outer
                   && !(model.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol method && semantics.PureSources.IsPure(method, null, cancellationToken)));
    }

    /// <summary>
    /// Whether <paramref name="reference"/> writes the variable, or (with <paramref name="throughParts"/>)
    /// a part of it: an element, a field, what a pointer points to.
    /// </summary>
    private static bool IsWrittenThrough(ExpressionSyntax reference, bool throughParts)
    {
        var node = reference;
        while (throughParts)
        {
            var parent = node.Parent;
            if (parent is ParenthesizedExpressionSyntax or CastExpressionSyntax
                || parent is ElementAccessExpressionSyntax element && element.Expression == node
                || parent is MemberAccessExpressionSyntax member && member.Expression == node && member.Parent is not InvocationExpressionSyntax
                || parent is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PointerIndirectionExpression }
                || parent is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression or (int)SyntaxKind.SubtractExpression })
            {
                node = (ExpressionSyntax)parent!;
                continue;
            }

            break;
        }

        return ViewReacquirePlanner.IsWrite(node);
    }

    /// <summary>
    /// Whether no guest code can run from where the view was obtained to right before
    /// <paramref name="callStatement"/>: the statements before it, back to the one that obtains the
    /// view (or to the start of the function), call no guest code; a loop on the way back, whose
    /// earlier turns may have, stops it.
    /// </summary>
    private static bool IsFreshBefore(SemanticModel model, WasmViewSemantics semantics, StatementSyntax callStatement, SyntaxNode acquisition, CancellationToken cancellationToken)
    {
        if (callStatement.Span.Contains(acquisition.Span))
        {
            return false;
        }

        SyntaxNode current = callStatement;
        while (true)
        {
            var container = current.Parent;
            var siblings = container switch
            {
                BlockSyntax block => block.Statements,
                SwitchSectionSyntax section => section.Statements,
                _ => default,
            };

            if (container is null)
            {
                return false;
            }

            for (var i = siblings.IndexOf((StatementSyntax)current) - 1; i >= 0; i--)
            {
                var previous = siblings[i];
                if (previous.Span.Contains(acquisition.Span))
                {
                    // A compound statement may call the guest after it obtains the view.
                    return previous is ExpressionStatementSyntax or LocalDeclarationStatementSyntax || !GuestCallFinder.Contains(model, semantics, previous, cancellationToken);
                }

                if (GuestCallFinder.Contains(model, semantics, previous, cancellationToken) || previous is LabeledStatementSyntax)
                {
                    return false;
                }
            }

            // Out of the list: a block of a statement whose header ran before it, or the function's body.
            var owner = container.Parent;
            switch (owner)
            {
                case CommonForEachStatementSyntax loop when loop.Expression.Span.Contains(acquisition.Span) || loop.Span == acquisition.Span:
                    // foreach (var match in Matches(...)): each turn starts with the view it enumerates.
                    return true;
                case BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax:
                    // The view came from outside the function (a field, a parameter): nothing here called the guest.
                    return !owner.Span.Contains(acquisition.Span);
                case BlockSyntax or UnsafeStatementSyntax or CheckedStatementSyntax:
                    current = owner;
                    break;
                case IfStatementSyntax or ElseClauseSyntax or SwitchStatementSyntax or UsingStatementSyntax or LockStatementSyntax or FixedStatementSyntax or TryStatementSyntax:
                    var statement = owner is ElseClauseSyntax elseClause ? (StatementSyntax)elseClause.Parent! : (StatementSyntax)owner;
                    var header = HeaderOf(statement).ToList();
                    if (header.Any(h => h.Span.Contains(acquisition.Span)))
                    {
                        return true;
                    }

                    if (header.Any(h => GuestCallFinder.Contains(model, semantics, h, cancellationToken)))
                    {
                        return false;
                    }

                    current = statement;
                    break;
                default:
                    return false;
            }

            if (current.Parent is not (BlockSyntax or SwitchSectionSyntax))
            {
                return false;
            }
        }
    }

    /// <summary>What a statement runs before <paramref name="body"/>: a condition, the value switched on, a resource.</summary>
    private static IEnumerable<SyntaxNode> HeaderOf(StatementSyntax statement)
    {
        switch (statement)
        {
            case IfStatementSyntax @if:
                yield return @if.Condition;
                break;
            case SwitchStatementSyntax @switch:
                yield return @switch.Expression;
                foreach (var section in @switch.Sections)
                {
                    foreach (var label in section.Labels)
                    {
                        yield return label;
                    }
                }

                break;
            case UsingStatementSyntax { Declaration: { } declaration }:
                yield return declaration;
                break;
            case UsingStatementSyntax { Expression: { } resource }:
                yield return resource;
                break;
            case LockStatementSyntax @lock:
                yield return @lock.Expression;
                break;
            case FixedStatementSyntax @fixed:
                yield return @fixed.Declaration;
                break;
        }
    }

    /// <summary>
    /// Whether the guest is expected to write what is read: the host wrote through the view, or a
    /// view derived from it, before the call; or the call is given the view, one derived from it,
    /// or what it was obtained from (<c>_process(_block, n)</c> after <c>Block()</c> over <c>_block</c>).
    /// Then the read after the call reads the guest's output. With <paramref name="copiedPerElement"/>,
    /// the enumeration of the sequence the view was obtained from (<c>Pages(input).ToList()</c>) is no
    /// such call: each element is copied before the sequence runs the guest for the next.
    /// </summary>
    internal static bool GuestMayWriteWhatIsRead(SemanticModel model, WasmViewSemantics semantics, FindingFacts facts, ExpressionSyntax use, ExpressionSyntax read, StatementSyntax callStatement, SyntaxNode function, CancellationToken cancellationToken, bool copiedPerElement = false)
    {
        // Writes before the read, or anywhere in a loop that runs the call again after them.
        var loops = callStatement.Ancestors().TakeWhile(n => n != function).Where(SyntaxHelpers.IsLoop).ToList();
        var family = Family(model, semantics, use, facts.Acquisition.Syntax, function, cancellationToken);
        foreach (var variable in family)
        {
            foreach (var reference in ViewReacquirePlanner.References(model, variable, function, cancellationToken))
            {
                if ((reference.SpanStart < read.SpanStart || loops.Any(loop => loop.Span.Contains(reference.Span)))
                    && !facts.Acquisition.Syntax.Span.Contains(reference.Span)
                    && !read.Span.Contains(reference.Span)
                    && ((IsWrittenThrough(reference, throughParts: true) && !IsRebinding(reference, variable) && !IsAliasBinding(reference))
                        || IsGivenToWrite(model, semantics, reference, cancellationToken)
                        || (variable is ILocalSymbol { IsRef: true } && IsRefValue(model, reference, cancellationToken))))
                {
                    return true;
                }
            }
        }

        // Every guest call from the call's statement to the read: the one the finding names may not be
        // the one given the address (_instantiate(CopyString(name), error.Address)).
        var sources = AcquisitionInputs(model, semantics, facts.Acquisition, cancellationToken);
        var range = TextSpan.FromBounds(callStatement.SpanStart, read.SpanStart);
        // (the function itself may be a lambda or a local function: its own body is searched)
        var calls = function.DescendantNodes(n => n == function || n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
            .Where(n => range.Contains(n.Span) && n is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax)
            .Select(n => model.GetOperation(n, cancellationToken))
            .Where(operation => operation is IInvocationOperation or IObjectCreationOperation && GuestCallFinder.Contains(model, semantics, operation.Syntax, cancellationToken))
            .Append(facts.InvalidatedBy!.Operation);
        foreach (var call in calls)
        {
            if (copiedPerElement && call is not null && call.Syntax.Span.Contains(facts.Acquisition.Syntax.Span))
            {
                continue;
            }

            var given = call switch
            {
                IInvocationOperation invocation => invocation.Arguments.Select(a => a.Value.Syntax),
                IObjectCreationOperation creation => creation.Arguments.Select(a => a.Value.Syntax),
                _ => Enumerable.Empty<SyntaxNode>(),
            };
            foreach (var argument in given)
            {
                foreach (var name in argument.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
                {
                    if (model.GetSymbolInfo(name, cancellationToken).Symbol is { } symbol
                        && (sources.Contains(symbol) || (family.Contains(symbol) && !IsPlainPart(model, semantics, name, cancellationToken))))
                    {
                        return true;
                    }
                }
            }

            // A helper that calls the guest with what the view was obtained from.
            if (call is IInvocationOperation { TargetMethod: { } helper } && semantics.IsDeclaredInSource(helper) && sources.Count > 0)
            {
                foreach (var declaration in helper.DeclaringSyntaxReferences)
                {
                    var body = declaration.GetSyntax(cancellationToken);
                    if (body.SyntaxTree == model.SyntaxTree
                        && body.DescendantNodes().OfType<IdentifierNameSyntax>().Any(n => sources.Any(s => s.Name == n.Identifier.ValueText) && model.GetSymbolInfo(n, cancellationToken).Symbol is { } input && sources.Contains(input)))
                    {
                        return true;
                    }
                }
            }
        }

        return false;

        // ref byte kind = ref page[0]; byte* p = &view[0]: an alias, whose own writes are the family's.
        static bool IsAliasBinding(IdentifierNameSyntax reference)
        {
            var node = reference.Parent;
            while (node is ElementAccessExpressionSyntax or MemberAccessExpressionSyntax or ParenthesizedExpressionSyntax)
            {
                node = node.Parent;
            }

            return node is RefExpressionSyntax or PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.AddressOfExpression }
                   && node.Parent is EqualsValueClauseSyntax or AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression };
        }

        // _bindInt(update, view.Length): a member the engine knows reads nothing of the view. A member
        // of a type of the user's (error.Address) may be the address the guest writes its output to.
        static bool IsPlainPart(SemanticModel model, WasmViewSemantics semantics, IdentifierNameSyntax name, CancellationToken cancellationToken)
            => name.Parent is MemberAccessExpressionSyntax { Parent: not InvocationExpressionSyntax } member
               && member.Expression == name
               && model.GetSymbolInfo(member, cancellationToken).Symbol is { } part
               && semantics.Symbols.NonReadingMembers.Contains(part);

        static bool IsRebinding(IdentifierNameSyntax reference, ISymbol variable)
            => variable is ILocalSymbol { IsRef: false } or IParameterSymbol { RefKind: RefKind.None } && ViewReacquirePlanner.IsWrite(reference) && reference.Parent is AssignmentExpressionSyntax;
    }

    /// <summary>The view at the use and the variables that hold it or a view derived from it in the function.</summary>
    private static HashSet<ISymbol> Family(SemanticModel model, WasmViewSemantics semantics, ExpressionSyntax use, SyntaxNode acquisition, SyntaxNode function, CancellationToken cancellationToken)
    {
        var family = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var name in use.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
        {
            if (model.GetSymbolInfo(name, cancellationToken).Symbol is { } symbol and (ILocalSymbol or IParameterSymbol or IFieldSymbol { IsConst: false }))
            {
                family.Add(symbol);
            }
        }

        // The variable the acquisition is stored in, then whatever is declared or assigned from one of them.
        var holders = function.DescendantNodes().Select(node => node switch
        {
            VariableDeclaratorSyntax { Initializer.Value: { } value } declarator => (Value: (SyntaxNode)value, Target: model.GetDeclaredSymbol(declarator, cancellationToken)),
            AssignmentExpressionSyntax { Left: IdentifierNameSyntax target } assignment => (Value: assignment.Right, Target: model.GetSymbolInfo(target, cancellationToken).Symbol),
            _ => (Value: (SyntaxNode?)null, Target: (ISymbol?)null),
        }).Where(h => h.Value is not null && h.Target is ILocalSymbol or IParameterSymbol or IFieldSymbol).ToList();
        for (var round = 0; round < 4; round++)
        {
            var added = false;
            foreach (var (value, target) in holders)
            {
                if (family.Contains(target!) || !Aliases(semantics, TypeOf(target!)) && target is not ILocalSymbol { IsRef: true })
                {
                    continue;
                }

                if (value!.Span.Contains(acquisition.Span) || value.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(n => model.GetSymbolInfo(n, cancellationToken).Symbol is { } s && family.Contains(s)))
                {
                    family.Add(target!);
                    added = true;
                }
            }

            if (!added)
            {
                break;
            }
        }

        return family;
    }

    private static ITypeSymbol? TypeOf(ISymbol symbol) => symbol switch
    {
        ILocalSymbol local => local.Type,
        IParameterSymbol parameter => parameter.Type,
        IFieldSymbol field => field.Type,
        _ => null,
    };

    /// <summary>
    /// A view handed where it may be written: to a writable view parameter (<c>src.CopyTo(view)</c>,
    /// <c>stream.Read(view)</c>), or a pointer or address to a method that is not pure.
    /// </summary>
    private static bool IsGivenToWrite(SemanticModel model, WasmViewSemantics semantics, IdentifierNameSyntax reference, CancellationToken cancellationToken)
    {
        var node = (ExpressionSyntax)reference;
        while (node.Parent is ParenthesizedExpressionSyntax or CastExpressionSyntax
               || node.Parent is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression or (int)SyntaxKind.SubtractExpression }
               || node.Parent is MemberAccessExpressionSyntax { Parent: InvocationExpressionSyntax sliced } slice && slice.Expression == node && Aliases(semantics, model.GetTypeInfo(sliced, cancellationToken).Type))
        {
            node = node.Parent is MemberAccessExpressionSyntax ? (ExpressionSyntax)node.Parent.Parent! : (ExpressionSyntax)node.Parent!;
        }

        if (node.Parent is MemberAccessExpressionSyntax { Parent: InvocationExpressionSyntax receiverCall } receiver && receiver.Expression == node)
        {
            return model.GetSymbolInfo(receiverCall, cancellationToken).Symbol is IMethodSymbol method && semantics.Symbols.Effects.IsWriting(method);
        }

        if (node.Parent is not ArgumentSyntax argument
            || model.GetOperation(argument, cancellationToken) is not IArgumentOperation { Parameter: { } parameter } operation
            || operation.Parent is not (IInvocationOperation or IObjectCreationOperation))
        {
            return false;
        }

        var target = operation.Parent is IInvocationOperation invocation ? invocation.TargetMethod : ((IObjectCreationOperation)operation.Parent).Constructor;
        if (target is null)
        {
            return true;
        }

        if (semantics.Symbols.IsReadOnlyView(parameter.Type) || semantics.PureSources.IsPure(target, null, cancellationToken))
        {
            return false;
        }

        return semantics.Symbols.IsWritableView(parameter.Type)
                   ? !semantics.Symbols.Effects.IsOfReadingType(target) || semantics.Symbols.Effects.IsWriting(target)
                   : Aliases(semantics, parameter.Type) && target.MethodKind != MethodKind.Constructor;
    }

    /// <summary>The variables, parameters and fields the view was obtained from (its address, its length), and those a helper that obtains it reads.</summary>
    private static HashSet<ISymbol> AcquisitionInputs(SemanticModel model, WasmViewSemantics semantics, IOperation acquisition, CancellationToken cancellationToken)
    {
        var inputs = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        var operations = acquisition.DescendantsAndSelf().ToList();
        var helper = acquisition switch
        {
            IInvocationOperation invocation => invocation.TargetMethod,
            IArgumentOperation { Parent: IInvocationOperation call } => call.TargetMethod,
            IPropertyReferenceOperation property => property.Property.GetMethod,
            _ => null,
        };
        if (helper is not null && semantics.IsDeclaredInSource(helper) && semantics.Bodies.GetBody(helper, cancellationToken) is { } body)
        {
            operations.AddRange(body.DescendantsAndSelf());
        }

        foreach (var operation in operations)
        {
            ISymbol? symbol = operation switch
            {
                ILocalReferenceOperation local => local.Local,
                IParameterReferenceOperation parameter when operation.Syntax.SyntaxTree == model.SyntaxTree && acquisition.Syntax.Span.Contains(operation.Syntax.Span) => parameter.Parameter,
                IFieldReferenceOperation { Field.IsConst: false } field => field.Field,
                IPropertyReferenceOperation { Property.IsIndexer: false } property when semantics.IsDeclaredInSource(property.Property) => property.Property,
                _ => null,
            };

            if (symbol is not null && !IsGuestHandle(semantics, TypeOf(symbol) ?? (symbol as IPropertySymbol)?.Type))
            {
                inputs.Add(symbol);
            }
        }

        return inputs;
    }

    /// <summary>The memory, caller, instance or store: every call is given those, and they are not the view's address.</summary>
    private static bool IsGuestHandle(WasmViewSemantics semantics, ITypeSymbol? type)
        => type is not null
           && (semantics.Symbols.IsWasmtimeType(type, semantics.Symbols.Memory)
               || semantics.Symbols.IsWasmtimeType(type, semantics.Symbols.Caller)
               || semantics.Symbols.IsWasmtimeType(type, semantics.Symbols.Instance)
               || type.TypeKind == TypeKind.Delegate
               || type.ContainingNamespace?.ToDisplayString() == "Wasmtime");

    /// <summary>The statement of <paramref name="list"/> that holds <paramref name="node"/>.</summary>
    private static StatementSyntax? StatementIn(SyntaxNode list, SyntaxNode node)
        => node.AncestorsAndSelf().OfType<StatementSyntax>().FirstOrDefault(s => s.Parent == list);

    /// <summary><c>status[0]</c> → <c>status0</c>; <c>header.Length</c> → <c>length</c>; <c>ReadInt32LittleEndian(span)</c> → <c>int32LittleEndian</c>.</summary>
    private static string NameFor(ExpressionSyntax read)
    {
        var name = read switch
        {
            ElementAccessExpressionSyntax { Expression: IdentifierNameSyntax array, ArgumentList.Arguments: { Count: 1 } arguments } when arguments[0].Expression is LiteralExpressionSyntax index => array.Identifier.ValueText + index.Token.ValueText,
            ElementAccessExpressionSyntax { Expression: IdentifierNameSyntax array } => array.Identifier.ValueText + "Value",
            MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
            InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax member } => member.Name.Identifier.ValueText,
            InvocationExpressionSyntax { Expression: IdentifierNameSyntax method } => method.Identifier.ValueText,
            PrefixUnaryExpressionSyntax or CastExpressionSyntax => "value",
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText + "Value",
            _ => "value",
        };

        name = name.TrimStart('_');
        foreach (var verb in new[] { "Get", "Read", "To" })
        {
            if (name.Length > verb.Length && name.StartsWith(verb, System.StringComparison.Ordinal) && char.IsUpper(name[verb.Length]))
            {
                name = name.Substring(verb.Length);
                break;
            }
        }

        if (name.Length == 0 || !SyntaxFacts.IsValidIdentifier(name))
        {
            return "value";
        }

        name = char.ToLowerInvariant(name[0]) + name.Substring(1);
        return SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None ? name + "Value" : name;
    }

    public static void Apply(DocumentEditor editor, ReadBeforeCallPlan plan, FixApplication application, CancellationToken cancellationToken)
    {
        var name = SyntaxHelpers.UniqueName(application.Model, plan.Before.SpanStart, plan.BaseName, cancellationToken, application.DeclaredNamesAt(plan.Before));
        application.DeclaredNamesAt(plan.Before).Add(name);
        var declaration = Declaration(name, plan.Read, plan.Before).WithAdditionalAnnotations(Formatter.Annotation);
        editor.InsertBefore(plan.Before, declaration);
        editor.ReplaceNode(plan.Read, IdentifierName(name).WithTriviaFrom(plan.Read));
    }
}

/// <summary>Makes a read before the guest call (<see cref="ReadBeforeCallPlan"/>).</summary>
internal sealed class ReadBeforeCallEdit : FixEdit
{
    private readonly ReadBeforeCallPlan _plan;
    private readonly System.Threading.CancellationToken _cancellationToken;

    public ReadBeforeCallEdit(ReadBeforeCallPlan plan, System.Threading.CancellationToken cancellationToken)
    {
        _plan = plan;
        _cancellationToken = cancellationToken;
    }

    public override string Key => "read-before:" + _plan.Read.SpanStart + ":" + _plan.Read.Span.Length;

    public override TextSpan Span => _plan.Read.Span;

    public override SyntaxTree Tree => _plan.Read.SyntaxTree;

    public override void Apply(DocumentEditor editor, FixApplication application) => ReadBeforeCallPlanner.Apply(editor, _plan, application, _cancellationToken);
}
