using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine.Flow;

/// <summary>
/// The table of what runs (issue 21, table 2): for each operation, the methods C# calls to evaluate
/// it, written or not — invocations, constructors, accessors, user-defined operators and
/// conversions, <c>Deconstruct</c>, the enumerator and <c>Dispose</c> calls of <c>foreach</c> and
/// <c>using</c>, <c>await</c>'s awaiter, event accessors. Any of them may call the guest; whether one
/// does is the guest-call summary's question, asked of each method this table names.
/// </summary>
/// <remarks>
/// <para>
/// The control-flow graph already lowers <c>foreach</c>, <c>using</c>, collection initializers and
/// interpolated string handlers into explicit invocations (<c>GetEnumerator</c>, <c>MoveNext</c>,
/// <c>IDisposable.Dispose</c>, <c>Add</c>, <c>AppendFormatted</c>); the operation tree that the
/// summaries walk does not, so the table answers for both: the loop and <c>using</c> operations name
/// their implicit calls here, from the semantic model.
/// </para>
/// <para>
/// A call through an interface or a virtual member of a library (<c>IDisposable.Dispose</c> on the
/// lowered <c>using</c>, <c>Stream.Read</c> on the user's stream) runs the implementation of the
/// receiver's type when that type is known: the user's <c>Dispose</c> that frees guest memory
/// through an export is what runs.
/// </para>
/// </remarks>
internal static class MethodsRun
{
    /// <summary>Whether evaluating an operation of this kind may run a method of its own (not counting its operands).</summary>
    public static bool MayRunCode(IOperation operation) => operation.Kind switch
    {
        OperationKind.Invocation or OperationKind.ObjectCreation or OperationKind.PropertyReference or OperationKind.EventAssignment => true,
        OperationKind.DeconstructionAssignment or OperationKind.Using or OperationKind.UsingDeclaration or OperationKind.Await => true,
        OperationKind.Loop => operation is IForEachLoopOperation,
        _ => UserDefinedOperator(operation) is not null,
    };

    /// <summary>The user-defined operator or conversion an operator expression runs, if any.</summary>
    private static IMethodSymbol? UserDefinedOperator(IOperation operation) => operation.Kind switch
    {
        OperationKind.Binary => ((IBinaryOperation)operation).OperatorMethod,
        OperationKind.Unary => ((IUnaryOperation)operation).OperatorMethod,
        OperationKind.Increment or OperationKind.Decrement => ((IIncrementOrDecrementOperation)operation).OperatorMethod,
        OperationKind.CompoundAssignment => ((ICompoundAssignmentOperation)operation).OperatorMethod,
        OperationKind.Conversion => ((IConversionOperation)operation).OperatorMethod,
        _ => null,
    };

    /// <summary>
    /// The methods evaluating <paramref name="operation"/> itself runs, each with the implementation
    /// a known receiver dispatches to. <paramref name="model"/> stands in for the operation's own
    /// semantic model, which the operations of a control-flow graph do not carry.
    /// </summary>
    public static IEnumerable<IMethodSymbol> By(IOperation operation, SemanticModel? model = null)
    {
        if (!MayRunCode(operation))
        {
            return Array.Empty<IMethodSymbol>();
        }

        var methods = new List<IMethodSymbol>(2);
        Collect(operation, operation.SemanticModel ?? model, methods);
        return methods;
    }

    private static void Collect(IOperation operation, SemanticModel? model, List<IMethodSymbol> methods)
    {
        switch (operation)
        {
            case IInvocationOperation invocation:
                // A delegate's Invoke runs whatever the delegate holds: judged by its value, not here.
                if (invocation.TargetMethod.MethodKind != MethodKind.DelegateInvoke)
                {
                    AddDispatched(methods, invocation.TargetMethod, invocation.Instance);
                }

                break;

            case IObjectCreationOperation { Constructor: { } constructor }:
                methods.Add(constructor);
                break;

            case IPropertyReferenceOperation property:
                AddAccessors(methods, property);
                break;

            case IEventAssignmentOperation { EventReference: IEventReferenceOperation reference } assignment:
                Add(methods, assignment.Adds ? reference.Event.AddMethod : reference.Event.RemoveMethod);
                break;

            case IBinaryOperation or IUnaryOperation or IIncrementOrDecrementOperation or ICompoundAssignmentOperation or IConversionOperation:
                Add(methods, UserDefinedOperator(operation));
                break;

            case IDeconstructionAssignmentOperation { Syntax: AssignmentExpressionSyntax assignment } when model is not null:
                AddDeconstruct(methods, model.GetDeconstructionInfo(assignment));
                break;

            case IDeconstructionAssignmentOperation deconstruction when model is not null
                                                                       && deconstruction.Syntax.FirstAncestorOrSelf<ForEachVariableStatementSyntax>() is { } loopVariables:
                // The graph's deconstruction of foreach's Current, at the loop's variables.
                AddDeconstruct(methods, model.GetDeconstructionInfo(loopVariables));
                break;

            case IForEachLoopOperation { Syntax: CommonForEachStatementSyntax statement } when model is not null:
                var info = model.GetForEachStatementInfo(statement);
                Add(methods, info.GetEnumeratorMethod);
                Add(methods, info.MoveNextMethod);
                Add(methods, info.CurrentProperty?.GetMethod);
                AddDisposeOf(methods, info.GetEnumeratorMethod?.ReturnType, info.IsAsynchronous, model.Compilation);
                if (statement is ForEachVariableStatementSyntax variables)
                {
                    AddDeconstruct(methods, model.GetDeconstructionInfo(variables));
                }

                break;

            case IUsingOperation { Resources: { } resources } @using when model is not null:
                AddDisposeOfResources(methods, resources, @using.IsAsynchronous, model.Compilation);
                break;

            case IUsingDeclarationOperation declaration when model is not null:
                AddDisposeOfResources(methods, declaration.DeclarationGroup, declaration.IsAsynchronous, model.Compilation);
                break;

            case IAwaitOperation { Syntax: AwaitExpressionSyntax awaitSyntax } when model is not null:
                var awaitInfo = model.GetAwaitExpressionInfo(awaitSyntax);
                Add(methods, awaitInfo.GetAwaiterMethod);
                Add(methods, awaitInfo.IsCompletedProperty?.GetMethod);
                Add(methods, awaitInfo.GetResultMethod);
                break;
        }
    }

    /// <summary>The accessors a property reference runs: the getter when read, the setter when written, both for <c>+=</c> and <c>++</c>.</summary>
    private static void AddAccessors(List<IMethodSymbol> methods, IPropertyReferenceOperation reference)
    {
        var property = reference.Property;
        var (reads, writes) = reference.Parent switch
        {
            ISimpleAssignmentOperation assignment when assignment.Target == reference => (false, true),
            ICompoundAssignmentOperation compound when compound.Target == reference => (true, true),
            IIncrementOrDecrementOperation increment when increment.Target == reference => (true, true),
            ICoalesceAssignmentOperation coalesce when coalesce.Target == reference => (true, true),
            _ when reference.Parent is ITupleOperation && IsDeconstructionTarget(reference) => (false, true),
            _ => (true, false),
        };

        if (reads)
        {
            AddDispatched(methods, property.GetMethod, reference.Instance);
        }

        if (writes)
        {
            AddDispatched(methods, property.SetMethod, reference.Instance);
        }
    }

    /// <summary>Whether <paramref name="operation"/> is (an element of) the target of a deconstruction: <c>(a, b) = pair</c>.</summary>
    internal static bool IsDeconstructionTarget(IOperation operation)
    {
        var current = operation;
        while (current.Parent is ITupleOperation or IDeclarationExpressionOperation)
        {
            current = current.Parent;
        }

        return current.Parent is IDeconstructionAssignmentOperation deconstruction && deconstruction.Target == current;
    }

    private static void AddDeconstruct(List<IMethodSymbol> methods, DeconstructionInfo? info)
    {
        if (info is not { } deconstruction)
        {
            return;
        }

        Add(methods, deconstruction.Method);
        foreach (var nested in deconstruction.Nested)
        {
            AddDeconstruct(methods, nested);
        }
    }

    private static void AddDisposeOfResources(List<IMethodSymbol> methods, IOperation resources, bool isAsynchronous, Compilation compilation)
    {
        foreach (var operation in resources.DescendantsAndSelf())
        {
            var type = operation switch
            {
                IVariableDeclaratorOperation declarator => declarator.Symbol.Type,
                _ when operation == resources && resources is not IVariableDeclarationGroupOperation => resources.Type,
                _ => null,
            };

            AddDisposeOf(methods, type, isAsynchronous, compilation);
        }
    }

    /// <summary>What <c>using</c> or the end of <c>foreach</c> runs to dispose a value of <paramref name="type"/>.</summary>
    private static void AddDisposeOf(List<IMethodSymbol> methods, ITypeSymbol? type, bool isAsynchronous, Compilation compilation)
    {
        if (type is null)
        {
            return;
        }

        var @interface = isAsynchronous
            ? compilation.GetTypeByMetadataName("System.IAsyncDisposable")
            : compilation.GetSpecialType(SpecialType.System_IDisposable);
        var name = isAsynchronous ? "DisposeAsync" : "Dispose";
        if (@interface?.GetMembers(name).Length == 1 && @interface.GetMembers(name)[0] is IMethodSymbol dispose
            && type.FindImplementationForInterfaceMember(dispose) is IMethodSymbol implementation)
        {
            methods.Add(implementation);
            return;
        }

        // A ref struct disposes by pattern: its own parameterless Dispose.
        foreach (var member in type.GetMembers(name))
        {
            if (member is IMethodSymbol { Parameters.Length: 0, IsStatic: false } byPattern)
            {
                methods.Add(byPattern);
                return;
            }
        }
    }

    private static void Add(List<IMethodSymbol> methods, IMethodSymbol? method)
    {
        if (method is not null)
        {
            methods.Add(method);
        }
    }

    /// <summary>
    /// <paramref name="method"/>, and the implementation it dispatches to when it is virtual or an
    /// interface member and the receiver's own type is known below its conversions.
    /// </summary>
    private static void AddDispatched(List<IMethodSymbol> methods, IMethodSymbol? method, IOperation? instance)
    {
        if (method is null)
        {
            return;
        }

        methods.Add(method);
        if (Implementation(method, instance) is { } implementation && !SymbolEqualityComparer.Default.Equals(implementation, method))
        {
            methods.Add(implementation);
        }
    }

    /// <summary>
    /// The member <paramref name="invocation"/> runs when its receiver's type fixes it: a sealed
    /// class's or a struct's (below the conversions written at the call: <c>((Stage)validate).Run()</c>
    /// is still exact). A delegate's Invoke runs whatever the delegate holds: none.
    /// </summary>
    public static IMethodSymbol? ExactTarget(IInvocationOperation invocation)
        => invocation.TargetMethod.MethodKind != MethodKind.DelegateInvoke
           && invocation.Instance is { } receiver
           && receiver.WalkDownConversions().Type is INamedTypeSymbol { IsSealed: true, TypeKind: TypeKind.Class or TypeKind.Struct }
            ? Implementation(invocation.TargetMethod, receiver) ?? invocation.TargetMethod
            : null;

    /// <summary>The member a call of <paramref name="method"/> on <paramref name="instance"/> lands in, when the receiver's type says.</summary>
    public static IMethodSymbol? Implementation(IMethodSymbol method, IOperation? instance)
    {
        if (instance is null || method.IsStatic || !(method.IsVirtual || method.IsAbstract || method.IsOverride || method.ContainingType?.TypeKind == TypeKind.Interface))
        {
            return null;
        }

        var type = instance.WalkDownConversions().Type;
        if (type is null || type.TypeKind is TypeKind.Interface or TypeKind.TypeParameter or TypeKind.Error)
        {
            return null;
        }

        if (method.ContainingType?.TypeKind == TypeKind.Interface)
        {
            return type.FindImplementationForInterfaceMember(method) as IMethodSymbol;
        }

        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var member in current.GetMembers(method.Name))
            {
                if (member is IMethodSymbol { IsOverride: true } candidate && Overrides(candidate, method))
                {
                    return candidate;
                }
            }

            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, method.ContainingType?.OriginalDefinition))
            {
                break;
            }
        }

        return null;
    }

    private static bool Overrides(IMethodSymbol candidate, IMethodSymbol method)
    {
        for (var overridden = candidate.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
        {
            if (SymbolEqualityComparer.Default.Equals(overridden.OriginalDefinition, method.OriginalDefinition))
            {
                return true;
            }
        }

        return false;
    }
}
