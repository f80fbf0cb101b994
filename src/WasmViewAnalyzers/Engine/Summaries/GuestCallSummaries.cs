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

    public GuestCallSummaries(WasmViewSemantics semantics, SummaryCatalog catalog)
    {
        _semantics = semantics;
        _mayCallGuest = new MaySummary<IMethodSymbol>(catalog, SummaryScheduling.BottomUp, ComputeMayCallGuest, semantics.AnswerOutsideSource);
    }

    private WasmSymbols Symbols => _semantics.Symbols;

    /// <summary>
    /// Whether evaluating <paramref name="operation"/> (an invocation, object creation or property
    /// access) may run guest code or grow guest memory.
    /// </summary>
    /// <param name="model">The semantic model of the operation's tree, for the operations of a control-flow graph (which carry none).</param>
    public GuestCall? TryGetGuestCall(IOperation operation, CaptureResolver? captures, SummarySolver? solver, CancellationToken cancellationToken, SemanticModel? model = null)
        => IsGuestCall(operation, captures, solver ?? _semantics.NewSolver(cancellationToken), model)
            ? new GuestCall(operation, operation.DescribeCall())
            : null;

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
    private bool IsGuestMethod(IMethodSymbol method, SummarySolver solver)
        => IsWasmtimeGuestCall(method)
           || WasmSymbols.HasGuestCallAttribute(method)
           || _semantics.Configured.IsGuestCall(method)
           || (MayCallGuest(method, solver) && !_semantics.Iterators.IsIterator(method, solver.CancellationToken));

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
}
