using Wasmtime;
using WasmViewAnalyzers.Runtime.Internals;

namespace WasmViewAnalyzers.Runtime;

/// <summary>
/// A <see cref="Wasmtime.Function"/> whose every <c>Invoke</c> is recorded by a <see cref="GuestMemoryGuard"/>, so views
/// obtained before the call become stale. Obtain one from <see cref="GuestMemoryGuard.Wrap(Wasmtime.Function, string)"/>.
/// </summary>
/// <remarks>
/// A <see cref="StaleWasmViewException"/> thrown in a host callback during the call reaches the caller as itself, with
/// its stack trace, not wrapped in the <see cref="WasmtimeException"/> Wasmtime would throw.
/// </remarks>
public sealed class GuardedFunction
{
    private readonly GuestMemoryGuard _guard;

    internal GuardedFunction(GuestMemoryGuard guard, Function function, string name)
    {
        _guard = guard;
        Function = function;
        Name = name;
    }

    /// <summary>The wrapped function. Calling it directly bypasses the guard.</summary>
    public Function Function { get; }

    /// <summary>The name stale-view errors use for this function.</summary>
    public string Name { get; }

    /// <summary>Records a guest call, then invokes the function with no arguments (as <see cref="Function.Invoke()"/>).</summary>
    /// <returns><see langword="null"/> with no results, the value with one result, an array of values with several.</returns>
    [GuestCall]
    public object? Invoke()
    {
        var call = _guard.EnterCall(Name);
        try
        {
            return Function.Invoke();
        }
        catch (WasmtimeException exception) when (exception.InnerException is StaleWasmViewException)
        {
            ThrowHelper.RethrowStaleFromCallback(exception);
            throw;
        }
        finally
        {
            _guard.ExitCall(Name, call);
        }
    }

    /// <summary>Records a guest call, then invokes the function (as <see cref="Function.Invoke(ValueBox[])"/>).</summary>
    /// <param name="arguments">The arguments.</param>
    /// <returns><see langword="null"/> with no results, the value with one result, an array of values with several.</returns>
    [GuestCall]
    public object? Invoke(params ValueBox[] arguments)
    {
        var call = _guard.EnterCall(Name);
        try
        {
            return Function.Invoke(arguments);
        }
        catch (WasmtimeException exception) when (exception.InnerException is StaleWasmViewException)
        {
            ThrowHelper.RethrowStaleFromCallback(exception);
            throw;
        }
        finally
        {
            _guard.ExitCall(Name, call);
        }
    }

    /// <summary>Records a guest call, then invokes the function (as <see cref="Function.Invoke(ReadOnlySpan{ValueBox})"/>).</summary>
    /// <param name="arguments">The arguments.</param>
    /// <returns><see langword="null"/> with no results, the value with one result, an array of values with several.</returns>
    [GuestCall]
    public object? Invoke(ReadOnlySpan<ValueBox> arguments)
    {
        var call = _guard.EnterCall(Name);
        try
        {
            return Function.Invoke(arguments);
        }
        catch (WasmtimeException exception) when (exception.InnerException is StaleWasmViewException)
        {
            ThrowHelper.RethrowStaleFromCallback(exception);
            throw;
        }
        finally
        {
            _guard.ExitCall(Name, call);
        }
    }
}
