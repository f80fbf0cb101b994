using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Flow;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>Guest calls: which operations may run WebAssembly or grow its memory, directly or through methods of the compilation.</summary>
internal sealed class GuestCallSummaries
{
    private readonly WasmViewSemantics _semantics;
    private readonly MaySummary<IMethodSymbol> _mayCallGuest;
    private readonly MaySummary<IMethodSymbol> _bodyMayCallGuest;
    private readonly ConcurrentDictionary<IMethodSymbol, (IOperation Call, IMethodSymbol Method)?> _guestCallBehind = new(SymbolEqualityComparer.Default);

    public GuestCallSummaries(WasmViewSemantics semantics, SummaryCatalog catalog)
    {
        _semantics = semantics;
        _mayCallGuest = new MaySummary<IMethodSymbol>(catalog, SummaryScheduling.BottomUp, ComputeMayCallGuest, semantics.AnswerOutsideSource);
        _bodyMayCallGuest = new MaySummary<IMethodSymbol>(catalog, SummaryScheduling.OnDemand, BodyMayCallGuest, semantics.AnswerOutsideSource);
    }

    private WasmSymbols Symbols => _semantics.Symbols;

    /// <summary>
    /// Whether evaluating <paramref name="operation"/> (an invocation, object creation or property
    /// access) may run guest code or grow guest memory.
    /// </summary>
    /// <param name="model">The semantic model of the operation's tree, for the operations of a control-flow graph (which carry none).</param>
    public GuestCall? TryGetGuestCall(IOperation operation, CaptureResolver? captures, SummarySolver? solver, CancellationToken cancellationToken, SemanticModel? model = null)
        => IsGuestCall(operation, captures, solver ?? _semantics.NewSolver(cancellationToken), model)
            ? new GuestCall(operation)
            : null;

    /// <summary>
    /// For a message about <paramref name="call"/>, a call to a method of the compilation that runs
    /// guest code only through others: the call that runs it, found by following the first guest
    /// call of each body (in <c>Warmup()</c>, <c>_process(0)</c>), and the method it is in. Nothing
    /// when <paramref name="call"/> runs guest code itself (<c>Function.Invoke</c>, a guest
    /// delegate, <c>[GuestCall]</c>, a configured guest call, a lambda handed to a method that runs it).
    /// </summary>
    /// <remarks>Asked only for a diagnostic's message, never while solving.</remarks>
    public (IOperation Call, IMethodSymbol Method)? FindGuestCallBehind(IOperation call, CancellationToken cancellationToken)
    {
        var solver = _semantics.NewSolver(cancellationToken);
        return Helper(call, solver) is { } helper ? GuestCallBehind(helper, solver) : null;
    }

    /// <summary>
    /// The guest call that calling <paramref name="helper"/> reaches. Each method along a chain
    /// reaches the same one, so a chain is followed once for all the messages that name its methods
    /// (a chain of a thousand helpers, each holding a view across the next, would otherwise be
    /// followed a thousand times). In a cycle of helpers the last call before the cycle closes is
    /// the answer, and it depends on where the cycle was entered: it is not kept.
    /// </summary>
    private (IOperation Call, IMethodSymbol Method)? GuestCallBehind(IMethodSymbol helper, SummarySolver solver)
    {
        var path = new List<IMethodSymbol>();
        var visited = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        (IOperation Call, IMethodSymbol Method)? last = null;
        var current = helper;
        while (true)
        {
            solver.CancellationToken.ThrowIfCancellationRequested();
            if (_guestCallBehind.TryGetValue(current, out var known))
            {
                return Keep(path, known);
            }

            if (!visited.Add(current))
            {
                return last;
            }

            if (FirstGuestCallIn(current, solver) is not { } inside)
            {
                return Keep(path, null);
            }

            path.Add(current);
            last = inside;
            if (Helper(inside.Call, solver) is not { } next)
            {
                return Keep(path, inside);
            }

            current = next;
        }
    }

    private (IOperation Call, IMethodSymbol Method)? Keep(List<IMethodSymbol> path, (IOperation Call, IMethodSymbol Method)? behind)
    {
        foreach (var method in path)
        {
            _guestCallBehind.TryAdd(method, behind);
        }

        return behind;
    }

    /// <summary>The method of the compilation that <paramref name="operation"/> calls and that reaches the guest only through its body.</summary>
    private IMethodSymbol? Helper(IOperation operation, SummarySolver solver)
    {
        var method = operation switch
        {
            IInvocationOperation invocation when MethodsRun.ExactTarget(invocation) is { } exact => exact,
            IInvocationOperation { TargetMethod.MethodKind: not MethodKind.DelegateInvoke } invocation => invocation.TargetMethod,
            IObjectCreationOperation creation when !Symbols.IsWasmtimeType(creation.Type, Symbols.Instance) => creation.Constructor,
            IPropertyReferenceOperation property when !WasmSymbols.HasGuestCallAttribute(property.Property)
                => WasmViewSemantics.IsAssignmentTarget(property) ? property.Property.SetMethod : property.Property.GetMethod,
            _ => null,
        };
        return method is not null
               && !IsWasmtimeGuestCall(method)
               && !WasmSymbols.HasGuestCallAttribute(method)
               && !_semantics.Configured.IsGuestCall(method)
               && MayCallGuest(method, solver)
            ? method
            : null;
    }

    /// <summary>
    /// The guest call of <paramref name="method"/>'s body that comes first in source, or of the
    /// first implementation that has one when the method is dispatched.
    /// </summary>
    private (IOperation Call, IMethodSymbol Method)? FirstGuestCallIn(IMethodSymbol method, SummarySolver solver)
    {
        if (FirstGuestCallInBody(method, solver) is { } call)
        {
            return (call, method);
        }

        if (SourceCallGraph.IsDispatched(method))
        {
            foreach (var implementation in _semantics.CallGraph.FindImplementations(method))
            {
                if (MayCallGuest(implementation, solver) && FirstGuestCallInBody(implementation, solver) is { } inImplementation)
                {
                    return (inImplementation, implementation);
                }
            }
        }

        return null;
    }

    private IOperation? FirstGuestCallInBody(IMethodSymbol method, SummarySolver solver)
    {
        IOperation? first = null;
        if (_semantics.Bodies.GetBody(method, solver.CancellationToken) is { } body)
        {
            foreach (var operation in body.DescendantsOutsideNestedFunctions())
            {
                if ((first is null || operation.Syntax.SpanStart < first.Syntax.SpanStart) && IsGuestCall(operation, captures: null, solver))
                {
                    first = operation;
                }
            }
        }

        return first;
    }

    /// <summary>Whether calling <paramref name="method"/> may run guest code, directly or through other methods of the compilation.</summary>
    public bool MayCallGuest(IMethodSymbol method, SummarySolver solver) => _mayCallGuest.Get(method, solver);

    /// <summary>Members of Wasmtime that run guest code or grow its memory.</summary>
    public bool IsWasmtimeGuestCall(IMethodSymbol method)
    {
        var type = method.ContainingType;
        if (Symbols.IsWasmtimeType(type, Symbols.Function))
        {
            return method.Name.StartsWith("Invoke", System.StringComparison.Ordinal);
        }

        if (Symbols.IsWasmtimeType(type, Symbols.Memory))
        {
            return method.Name == "Grow";
        }

        if (Symbols.IsWasmtimeType(type, Symbols.Linker))
        {
            return method.Name is "Instantiate" or "DefineModule";
        }

        return false;
    }

    private bool IsGuestCall(IOperation operation, CaptureResolver? captures, SummarySolver solver, SemanticModel? model = null)
    {
        // Every way below to run guest code is an operation that runs a method of its own; the
        // summaries ask about every operation of a body, and most (reads, literals, built-in
        // operators, arguments) run none.
        if (!MethodsRun.MayRunCode(operation))
        {
            return false;
        }

        switch (operation)
        {
            case IInvocationOperation invocation when IsGuestInvocation(invocation, captures, solver):
                return true;

            case IObjectCreationOperation creation when Symbols.IsWasmtimeType(creation.Type, Symbols.Instance):
                // Instantiation runs the module's start function.
                return true;

            case IPropertyReferenceOperation propertyReference when WasmSymbols.HasGuestCallAttribute(propertyReference.Property):
                return true;
        }

        if (operation is IInvocationOperation dispatched
            && SourceCallGraph.IsDispatched(dispatched.TargetMethod)
            && MethodsRun.ExactTarget(dispatched) is { } target)
        {
            // The receiver's type is sealed (or a struct): the call runs that type's member and no other override.
            return _semantics.Configured.IsGuestCall(dispatched.TargetMethod) || IsGuestMethod(target, solver, ownBodyOnly: !target.IsAbstract);
        }

        // Every other method the operation runs, written or implicit (MethodsRun): accessors,
        // constructors, operators, conversions, Deconstruct, Dispose, the enumerator's members.
        foreach (var method in MethodsRun.By(operation, model))
        {
            if (IsGuestMethod(method, solver))
            {
                return true;
            }
        }

        // Enumerating an iterator's sequence runs its body: MoveNext, foreach, ToList.
        return _semantics.Iterators.EnumeratedBy(operation, captures, solver) is { } iterator && MayCallGuest(iterator, solver);
    }

    /// <summary>
    /// Whether running <paramref name="method"/> (of any assembly) may run guest code. Calling an
    /// iterator runs none of its body: enumerating its sequence does.
    /// </summary>
    /// <param name="ownBodyOnly">Judge the method's own body, leaving aside the overrides a call of it may land in.</param>
    private bool IsGuestMethod(IMethodSymbol method, SummarySolver solver, bool ownBodyOnly = false)
        => IsWasmtimeGuestCall(method)
           || WasmSymbols.HasGuestCallAttribute(method)
           || _semantics.Configured.IsGuestCall(method)
           || ((ownBodyOnly ? _bodyMayCallGuest.Get(method, solver) : MayCallGuest(method, solver)) && !_semantics.Iterators.IsIterator(method, solver.CancellationToken));

    private bool IsGuestInvocation(IInvocationOperation invocation, CaptureResolver? captures, SummarySolver solver)
    {
        var method = invocation.TargetMethod;
        if (method.MethodKind == MethodKind.DelegateInvoke)
        {
            return invocation.Instance is { } target && _semantics.GuestDelegates.IsGuestDelegateValue(target, captures, solver);
        }

        // A lambda handed to another method may be invoked by it (List.ForEach, Parallel.For,
        // Task.Run): treat the call as running the lambda. Wasmtime's own methods only register
        // callbacks (Linker.DefineFunction, Function.FromCallback), they do not run them.
        if (!SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, Symbols.WasmtimeAssembly)
            && !StoresItsArgument(invocation))
        {
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Value.WalkDownConversions() is IDelegateCreationOperation or IAnonymousFunctionOperation or IFlowAnonymousFunctionOperation
                    && _semantics.GuestDelegates.IsGuestDelegateValue(argument.Value, captures, solver))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// <c>handlers.Add(() =&gt; convert(1))</c>, <c>queue.Enqueue(work)</c>: a collection (or a method
    /// named in <c>escape_sinks</c>) keeps the delegate for later; adding it runs nothing. The same
    /// table of storing APIs as WVA002's.
    /// </summary>
    private bool StoresItsArgument(IInvocationOperation invocation)
        => invocation.Instance is not null && _semantics.EscapeSinks.IsStoringCall(invocation.TargetMethod);

    private bool ComputeMayCallGuest(IMethodSymbol method, SummarySolver solver)
    {
        if (BodyMayCallGuest(method, solver))
        {
            return true;
        }

        // A call through an interface or a virtual member may land in any implementation the
        // compilation declares.
        if (SourceCallGraph.IsDispatched(method))
        {
            foreach (var implementation in _semantics.CallGraph.FindImplementations(method))
            {
                if (MayCallGuest(implementation, solver))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="method"/>'s own body may run guest code, leaving aside the overrides a call of it may land in.</summary>
    private bool BodyMayCallGuest(IMethodSymbol method, SummarySolver solver)
    {
        var body = _semantics.Bodies.GetBody(method, solver.CancellationToken);
        if (body is not null)
        {
            foreach (var operation in body.DescendantsOutsideNestedFunctions())
            {
                solver.CancellationToken.ThrowIfCancellationRequested();
                if (IsGuestCall(operation, captures: null, solver))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
