using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace WasmViewAnalyzers.Engine.Flow;

/// <summary>What an operation can do to a view, as the evaluator treats it.</summary>
internal enum OperationRole
{
    /// <summary>Consumes its operands: an element read out of a view is a use (<c>view[0] + 1</c>, <c>$"{view[0]}"</c>).</summary>
    Reads,

    /// <summary>Stores a value in a location, keeping a view there or handing it on (assignments, deconstruction, initializers).</summary>
    Stores,

    /// <summary>Names or derives the view without reading it (locals, captures, fields, conversions, slices, pointer arithmetic, tuples, collections of views).</summary>
    Aliases,

    /// <summary>Runs code that may be a guest call, and reads, keeps or derives from its arguments (calls, creations, property access).</summary>
    Calls,

    /// <summary>Lets other code run before the method goes on (<c>await</c>, <c>yield return</c>).</summary>
    Suspends,

    /// <summary>Matches a pattern: list and member patterns read the view, designations alias it.</summary>
    Matches,

    /// <summary>Neither holds nor reads a view: literals, <c>typeof</c>, <c>nameof</c>, lambdas and local functions (analyzed as graphs of their own).</summary>
    Irrelevant,

    /// <summary>Evaluated by the operation that owns it (an argument, a pattern's part, an interpolation's part).</summary>
    PartOfParent,

    /// <summary>
    /// Never reaches the evaluator: the control-flow graph lowers it into blocks, branches and flow
    /// captures (loops, <c>lock</c>, <c>using</c>, <c>?:</c>, <c>??=</c>, <c>switch</c>, <c>with</c>,
    /// initializers, <c>throw</c>, <c>goto</c>).
    /// </summary>
    LoweredByGraph,
}

/// <summary>
/// Every <see cref="OperationKind"/> of the Roslyn the analyzers compile against (4.8), and the
/// newer ones a newer compiler hands them, with the role the evaluator gives it. The evaluator
/// dispatches on this table first: a kind it does not know is evaluated generically (its operands
/// consumed, a view-typed result derived from them), and a test checks that no kind is unknown.
/// </summary>
internal static class OperationRoles
{
    /// <summary>Collection expressions (<c>[view, .. rest]</c>), Roslyn 4.9 and later; <see cref="OperationKind.None"/> before.</summary>
    internal const OperationKind CollectionExpression = (OperationKind)127;

    /// <summary>A spread element of a collection expression (<c>.. rest</c>), Roslyn 4.9 and later.</summary>
    internal const OperationKind Spread = (OperationKind)128;

    /// <summary>The obsolete kind of a collection initializer's element (now an <c>Add</c> invocation), still a value of the enum.</summary>
    private const OperationKind CollectionElementInitializer = (OperationKind)52;

    private static readonly Dictionary<OperationKind, OperationRole> Roles = Build();

    /// <summary>The kinds this table classifies.</summary>
    internal static IEnumerable<OperationKind> Classified => Roles.Keys;

    /// <summary>The role of <paramref name="kind"/>, or <see langword="null"/> for a kind newer than the table.</summary>
    public static OperationRole? Of(OperationKind kind) => Roles.TryGetValue(kind, out var role) ? role : null;

    private static Dictionary<OperationKind, OperationRole> Build()
    {
        var roles = new Dictionary<OperationKind, OperationRole>();
        void Add(OperationRole role, params OperationKind[] kinds)
        {
            foreach (var kind in kinds)
            {
                roles.Add(kind, role);
            }
        }

        Add(
            OperationRole.Reads,
            OperationKind.Unary,
            OperationKind.Binary,
            OperationKind.TupleBinary,
            OperationKind.IsType,
            OperationKind.IsNull,
            OperationKind.InterpolatedString,
            OperationKind.Interpolation,
            OperationKind.InterpolatedStringText,
            OperationKind.InterpolatedStringHandlerCreation,
            OperationKind.InterpolatedStringAddition,
            OperationKind.InterpolatedStringAppendLiteral,
            OperationKind.InterpolatedStringAppendFormatted,
            OperationKind.InterpolatedStringAppendInvalid,
            OperationKind.ExpressionStatement,
            OperationKind.Range,
            OperationKind.TranslatedQuery,
            OperationKind.Invalid,
            OperationKind.ReDim,
            OperationKind.ReDimClause);

        Add(
            OperationRole.Stores,
            OperationKind.SimpleAssignment,
            OperationKind.CompoundAssignment,
            OperationKind.Increment,
            OperationKind.Decrement,
            OperationKind.DeconstructionAssignment,
            OperationKind.EventAssignment,
            OperationKind.FlowCapture,
            OperationKind.StaticLocalInitializationSemaphore,
            OperationKind.Return);

        Add(
            OperationRole.Aliases,
            OperationKind.LocalReference,
            OperationKind.ParameterReference,
            OperationKind.FieldReference,
            OperationKind.FlowCaptureReference,
            OperationKind.ArrayElementReference,
            OperationKind.ImplicitIndexerReference,
            OperationKind.InlineArrayAccess,
            OperationKind.Conversion,
            OperationKind.AddressOf,
            OperationKind.Parenthesized,
            OperationKind.Tuple,
            OperationKind.ArrayCreation,
            OperationKind.ArrayInitializer,
            OperationKind.DeclarationExpression,
            OperationKind.Discard,
            OperationKind.CaughtException,
            OperationKind.EventReference,
            OperationKind.MethodReference,
            OperationKind.None,
            CollectionExpression,
            Spread);

        Add(
            OperationRole.Calls,
            OperationKind.Invocation,
            OperationKind.ObjectCreation,
            OperationKind.TypeParameterObjectCreation,
            OperationKind.AnonymousObjectCreation,
            OperationKind.DynamicObjectCreation,
            OperationKind.DynamicInvocation,
            OperationKind.DynamicMemberReference,
            OperationKind.DynamicIndexerAccess,
            OperationKind.PropertyReference,
            OperationKind.RaiseEvent,
            OperationKind.FunctionPointerInvocation);

        Add(OperationRole.Suspends, OperationKind.Await, OperationKind.YieldReturn);

        Add(
            OperationRole.Matches,
            OperationKind.IsPattern,
            OperationKind.ConstantPattern,
            OperationKind.DeclarationPattern,
            OperationKind.RecursivePattern,
            OperationKind.DiscardPattern,
            OperationKind.PropertySubpattern,
            OperationKind.NegatedPattern,
            OperationKind.BinaryPattern,
            OperationKind.TypePattern,
            OperationKind.RelationalPattern,
            OperationKind.ListPattern,
            OperationKind.SlicePattern);

        Add(
            OperationRole.Irrelevant,
            OperationKind.Literal,
            OperationKind.InstanceReference,
            OperationKind.Utf8String,
            OperationKind.DefaultValue,
            OperationKind.TypeOf,
            OperationKind.SizeOf,
            OperationKind.NameOf,
            OperationKind.DelegateCreation,
            OperationKind.AnonymousFunction,
            OperationKind.FlowAnonymousFunction,
            OperationKind.LocalFunction,
            OperationKind.Stop,
            OperationKind.End,
            OperationKind.OmittedArgument,
            OperationKind.InterpolatedStringHandlerArgumentPlaceholder,
            OperationKind.Attribute);

        Add(
            OperationRole.PartOfParent,
            OperationKind.Argument,
            OperationKind.SwitchExpressionArm,
            OperationKind.CaseClause,
            OperationKind.SwitchCase,
            OperationKind.CatchClause,
            OperationKind.VariableInitializer,
            OperationKind.VariableDeclarator,
            OperationKind.VariableDeclaration,
            OperationKind.FieldInitializer,
            OperationKind.PropertyInitializer,
            OperationKind.ParameterInitializer);

        // The graph turns these into branches between blocks and flow captures of their operands.
        Add(
            OperationRole.LoweredByGraph,
            OperationKind.Block,
            OperationKind.VariableDeclarationGroup,
            OperationKind.Switch,
            OperationKind.Loop,
            OperationKind.YieldBreak,
            OperationKind.Lock,
            OperationKind.Try,
            OperationKind.Using,
            OperationKind.UsingDeclaration,
            OperationKind.Conditional,
            OperationKind.Coalesce,
            OperationKind.CoalesceAssignment,
            OperationKind.ConditionalAccess,
            OperationKind.ConditionalAccessInstance,
            OperationKind.SwitchExpression,
            OperationKind.MethodBody,
            OperationKind.ConstructorBody,
            OperationKind.Throw,
            OperationKind.With,
            OperationKind.ObjectOrCollectionInitializer,
            OperationKind.MemberInitializer,
            CollectionElementInitializer,
            OperationKind.Empty,
            OperationKind.Labeled,
            OperationKind.Branch);

        return roles;
    }
}
