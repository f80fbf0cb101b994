using System.Diagnostics.CodeAnalysis;
using Wasmtime;

namespace WasmViewAnalyzers.Runtime;

// Typed call wrappers, one overload per arity (0 to 8 parameters), mirroring Instance.GetFunction<...> and
// Instance.GetAction<...>. Each wrapper records the guest call before entering WebAssembly and again when it returns.
public sealed partial class GuestMemoryGuard
{
    /// <summary>
    /// Gets an exported function as a delegate that records a guest call and then calls it, so views obtained before
    /// the call become stale (as <c>Instance.GetFunction&lt;TResult&gt;(name)</c>, guarded).
    /// </summary>
    /// <typeparam name="TResult">Return type; a tuple for several results, as in Wasmtime.</typeparam>
    /// <param name="instance">The instance that exports the function.</param>
    /// <param name="name">The export name; stale-view errors quote it.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> if no function of that name and type is exported.</returns>
    [GuestDelegateSource]
    public Func<TResult?>? GetFunction<TResult>(Instance instance, string name)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        return Wrap(instance.GetFunction(name)?.WrapFunc<TResult>(), name);
    }

    /// <summary>
    /// Gets an exported function as a delegate that records a guest call and then calls it, so views obtained before
    /// the call become stale (as <c>Instance.GetAction(name)</c>, guarded).
    /// </summary>
    /// <param name="instance">The instance that exports the function.</param>
    /// <param name="name">The export name; stale-view errors quote it.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> if no function of that name and type is exported.</returns>
    [GuestDelegateSource]
    public Action? GetAction(Instance instance, string name)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        return Wrap(instance.GetFunction(name)?.WrapAction(), name);
    }

    /// <summary>
    /// Wraps a delegate obtained from <c>Instance.GetFunction</c> so that each call is recorded as a guest call
    /// before it runs.
    /// </summary>
    /// <typeparam name="TResult">Return type; a tuple for several results, as in Wasmtime.</typeparam>
    /// <param name="function">The delegate to wrap; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for the function.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> when <paramref name="function"/> is <see langword="null"/>.</returns>
    [GuestDelegateSource]
    [return: NotNullIfNotNull(nameof(function))]
    public Func<TResult?>? Wrap<TResult>(Func<TResult?>? function, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (function is null)
        {
            return null;
        }

        return () =>
        {
            var callNumber = EnterCall(name);
            try
            {
                return function();
            }
            finally
            {
                ExitCall(name, callNumber);
            }
        };
    }

    /// <summary>
    /// Wraps a delegate obtained from <c>Instance.GetAction</c> so that each call is recorded as a guest call
    /// before it runs.
    /// </summary>
    /// <param name="action">The delegate to wrap; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for the function.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> when <paramref name="action"/> is <see langword="null"/>.</returns>
    [GuestDelegateSource]
    [return: NotNullIfNotNull(nameof(action))]
    public Action? Wrap(Action? action, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (action is null)
        {
            return null;
        }

        return () =>
        {
            var callNumber = EnterCall(name);
            try
            {
                action();
            }
            finally
            {
                ExitCall(name, callNumber);
            }
        };
    }

    /// <summary>
    /// Gets an exported function as a delegate that records a guest call and then calls it, so views obtained before
    /// the call become stale (as <c>Instance.GetFunction&lt;T1, TResult&gt;(name)</c>, guarded).
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="TResult">Return type; a tuple for several results, as in Wasmtime.</typeparam>
    /// <param name="instance">The instance that exports the function.</param>
    /// <param name="name">The export name; stale-view errors quote it.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> if no function of that name and type is exported.</returns>
    [GuestDelegateSource]
    public Func<T1, TResult?>? GetFunction<T1, TResult>(Instance instance, string name)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        return Wrap(instance.GetFunction(name)?.WrapFunc<T1, TResult>(), name);
    }

    /// <summary>
    /// Gets an exported function as a delegate that records a guest call and then calls it, so views obtained before
    /// the call become stale (as <c>Instance.GetAction&lt;T1&gt;(name)</c>, guarded).
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <param name="instance">The instance that exports the function.</param>
    /// <param name="name">The export name; stale-view errors quote it.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> if no function of that name and type is exported.</returns>
    [GuestDelegateSource]
    public Action<T1>? GetAction<T1>(Instance instance, string name)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        return Wrap(instance.GetFunction(name)?.WrapAction<T1>(), name);
    }

    /// <summary>
    /// Wraps a delegate obtained from <c>Instance.GetFunction</c> so that each call is recorded as a guest call
    /// before it runs.
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="TResult">Return type; a tuple for several results, as in Wasmtime.</typeparam>
    /// <param name="function">The delegate to wrap; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for the function.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> when <paramref name="function"/> is <see langword="null"/>.</returns>
    [GuestDelegateSource]
    [return: NotNullIfNotNull(nameof(function))]
    public Func<T1, TResult?>? Wrap<T1, TResult>(Func<T1, TResult?>? function, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (function is null)
        {
            return null;
        }

        return arg1 =>
        {
            var callNumber = EnterCall(name);
            try
            {
                return function(arg1);
            }
            finally
            {
                ExitCall(name, callNumber);
            }
        };
    }

    /// <summary>
    /// Wraps a delegate obtained from <c>Instance.GetAction</c> so that each call is recorded as a guest call
    /// before it runs.
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <param name="action">The delegate to wrap; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for the function.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> when <paramref name="action"/> is <see langword="null"/>.</returns>
    [GuestDelegateSource]
    [return: NotNullIfNotNull(nameof(action))]
    public Action<T1>? Wrap<T1>(Action<T1>? action, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (action is null)
        {
            return null;
        }

        return arg1 =>
        {
            var callNumber = EnterCall(name);
            try
            {
                action(arg1);
            }
            finally
            {
                ExitCall(name, callNumber);
            }
        };
    }

    /// <summary>
    /// Gets an exported function as a delegate that records a guest call and then calls it, so views obtained before
    /// the call become stale (as <c>Instance.GetFunction&lt;T1, T2, TResult&gt;(name)</c>, guarded).
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="TResult">Return type; a tuple for several results, as in Wasmtime.</typeparam>
    /// <param name="instance">The instance that exports the function.</param>
    /// <param name="name">The export name; stale-view errors quote it.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> if no function of that name and type is exported.</returns>
    [GuestDelegateSource]
    public Func<T1, T2, TResult?>? GetFunction<T1, T2, TResult>(Instance instance, string name)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        return Wrap(instance.GetFunction(name)?.WrapFunc<T1, T2, TResult>(), name);
    }

    /// <summary>
    /// Gets an exported function as a delegate that records a guest call and then calls it, so views obtained before
    /// the call become stale (as <c>Instance.GetAction&lt;T1, T2&gt;(name)</c>, guarded).
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <param name="instance">The instance that exports the function.</param>
    /// <param name="name">The export name; stale-view errors quote it.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> if no function of that name and type is exported.</returns>
    [GuestDelegateSource]
    public Action<T1, T2>? GetAction<T1, T2>(Instance instance, string name)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        return Wrap(instance.GetFunction(name)?.WrapAction<T1, T2>(), name);
    }

    /// <summary>
    /// Wraps a delegate obtained from <c>Instance.GetFunction</c> so that each call is recorded as a guest call
    /// before it runs.
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="TResult">Return type; a tuple for several results, as in Wasmtime.</typeparam>
    /// <param name="function">The delegate to wrap; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for the function.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> when <paramref name="function"/> is <see langword="null"/>.</returns>
    [GuestDelegateSource]
    [return: NotNullIfNotNull(nameof(function))]
    public Func<T1, T2, TResult?>? Wrap<T1, T2, TResult>(Func<T1, T2, TResult?>? function, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (function is null)
        {
            return null;
        }

        return (arg1, arg2) =>
        {
            var callNumber = EnterCall(name);
            try
            {
                return function(arg1, arg2);
            }
            finally
            {
                ExitCall(name, callNumber);
            }
        };
    }

    /// <summary>
    /// Wraps a delegate obtained from <c>Instance.GetAction</c> so that each call is recorded as a guest call
    /// before it runs.
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <param name="action">The delegate to wrap; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for the function.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> when <paramref name="action"/> is <see langword="null"/>.</returns>
    [GuestDelegateSource]
    [return: NotNullIfNotNull(nameof(action))]
    public Action<T1, T2>? Wrap<T1, T2>(Action<T1, T2>? action, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (action is null)
        {
            return null;
        }

        return (arg1, arg2) =>
        {
            var callNumber = EnterCall(name);
            try
            {
                action(arg1, arg2);
            }
            finally
            {
                ExitCall(name, callNumber);
            }
        };
    }

    /// <summary>
    /// Gets an exported function as a delegate that records a guest call and then calls it, so views obtained before
    /// the call become stale (as <c>Instance.GetFunction&lt;T1, T2, T3, TResult&gt;(name)</c>, guarded).
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="TResult">Return type; a tuple for several results, as in Wasmtime.</typeparam>
    /// <param name="instance">The instance that exports the function.</param>
    /// <param name="name">The export name; stale-view errors quote it.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> if no function of that name and type is exported.</returns>
    [GuestDelegateSource]
    public Func<T1, T2, T3, TResult?>? GetFunction<T1, T2, T3, TResult>(Instance instance, string name)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        return Wrap(instance.GetFunction(name)?.WrapFunc<T1, T2, T3, TResult>(), name);
    }

    /// <summary>
    /// Gets an exported function as a delegate that records a guest call and then calls it, so views obtained before
    /// the call become stale (as <c>Instance.GetAction&lt;T1, T2, T3&gt;(name)</c>, guarded).
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <param name="instance">The instance that exports the function.</param>
    /// <param name="name">The export name; stale-view errors quote it.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> if no function of that name and type is exported.</returns>
    [GuestDelegateSource]
    public Action<T1, T2, T3>? GetAction<T1, T2, T3>(Instance instance, string name)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        return Wrap(instance.GetFunction(name)?.WrapAction<T1, T2, T3>(), name);
    }

    /// <summary>
    /// Wraps a delegate obtained from <c>Instance.GetFunction</c> so that each call is recorded as a guest call
    /// before it runs.
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="TResult">Return type; a tuple for several results, as in Wasmtime.</typeparam>
    /// <param name="function">The delegate to wrap; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for the function.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> when <paramref name="function"/> is <see langword="null"/>.</returns>
    [GuestDelegateSource]
    [return: NotNullIfNotNull(nameof(function))]
    public Func<T1, T2, T3, TResult?>? Wrap<T1, T2, T3, TResult>(Func<T1, T2, T3, TResult?>? function, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (function is null)
        {
            return null;
        }

        return (arg1, arg2, arg3) =>
        {
            var callNumber = EnterCall(name);
            try
            {
                return function(arg1, arg2, arg3);
            }
            finally
            {
                ExitCall(name, callNumber);
            }
        };
    }

    /// <summary>
    /// Wraps a delegate obtained from <c>Instance.GetAction</c> so that each call is recorded as a guest call
    /// before it runs.
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <param name="action">The delegate to wrap; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for the function.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> when <paramref name="action"/> is <see langword="null"/>.</returns>
    [GuestDelegateSource]
    [return: NotNullIfNotNull(nameof(action))]
    public Action<T1, T2, T3>? Wrap<T1, T2, T3>(Action<T1, T2, T3>? action, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (action is null)
        {
            return null;
        }

        return (arg1, arg2, arg3) =>
        {
            var callNumber = EnterCall(name);
            try
            {
                action(arg1, arg2, arg3);
            }
            finally
            {
                ExitCall(name, callNumber);
            }
        };
    }

    /// <summary>
    /// Gets an exported function as a delegate that records a guest call and then calls it, so views obtained before
    /// the call become stale (as <c>Instance.GetFunction&lt;T1, T2, T3, T4, TResult&gt;(name)</c>, guarded).
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <typeparam name="TResult">Return type; a tuple for several results, as in Wasmtime.</typeparam>
    /// <param name="instance">The instance that exports the function.</param>
    /// <param name="name">The export name; stale-view errors quote it.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> if no function of that name and type is exported.</returns>
    [GuestDelegateSource]
    public Func<T1, T2, T3, T4, TResult?>? GetFunction<T1, T2, T3, T4, TResult>(Instance instance, string name)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        return Wrap(instance.GetFunction(name)?.WrapFunc<T1, T2, T3, T4, TResult>(), name);
    }

    /// <summary>
    /// Gets an exported function as a delegate that records a guest call and then calls it, so views obtained before
    /// the call become stale (as <c>Instance.GetAction&lt;T1, T2, T3, T4&gt;(name)</c>, guarded).
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <param name="instance">The instance that exports the function.</param>
    /// <param name="name">The export name; stale-view errors quote it.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> if no function of that name and type is exported.</returns>
    [GuestDelegateSource]
    public Action<T1, T2, T3, T4>? GetAction<T1, T2, T3, T4>(Instance instance, string name)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        return Wrap(instance.GetFunction(name)?.WrapAction<T1, T2, T3, T4>(), name);
    }

    /// <summary>
    /// Wraps a delegate obtained from <c>Instance.GetFunction</c> so that each call is recorded as a guest call
    /// before it runs.
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <typeparam name="TResult">Return type; a tuple for several results, as in Wasmtime.</typeparam>
    /// <param name="function">The delegate to wrap; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for the function.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> when <paramref name="function"/> is <see langword="null"/>.</returns>
    [GuestDelegateSource]
    [return: NotNullIfNotNull(nameof(function))]
    public Func<T1, T2, T3, T4, TResult?>? Wrap<T1, T2, T3, T4, TResult>(Func<T1, T2, T3, T4, TResult?>? function, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (function is null)
        {
            return null;
        }

        return (arg1, arg2, arg3, arg4) =>
        {
            var callNumber = EnterCall(name);
            try
            {
                return function(arg1, arg2, arg3, arg4);
            }
            finally
            {
                ExitCall(name, callNumber);
            }
        };
    }

    /// <summary>
    /// Wraps a delegate obtained from <c>Instance.GetAction</c> so that each call is recorded as a guest call
    /// before it runs.
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <param name="action">The delegate to wrap; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for the function.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> when <paramref name="action"/> is <see langword="null"/>.</returns>
    [GuestDelegateSource]
    [return: NotNullIfNotNull(nameof(action))]
    public Action<T1, T2, T3, T4>? Wrap<T1, T2, T3, T4>(Action<T1, T2, T3, T4>? action, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (action is null)
        {
            return null;
        }

        return (arg1, arg2, arg3, arg4) =>
        {
            var callNumber = EnterCall(name);
            try
            {
                action(arg1, arg2, arg3, arg4);
            }
            finally
            {
                ExitCall(name, callNumber);
            }
        };
    }

    /// <summary>
    /// Gets an exported function as a delegate that records a guest call and then calls it, so views obtained before
    /// the call become stale (as <c>Instance.GetFunction&lt;T1, T2, T3, T4, T5, TResult&gt;(name)</c>, guarded).
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <typeparam name="T5">Type of the fifth parameter.</typeparam>
    /// <typeparam name="TResult">Return type; a tuple for several results, as in Wasmtime.</typeparam>
    /// <param name="instance">The instance that exports the function.</param>
    /// <param name="name">The export name; stale-view errors quote it.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> if no function of that name and type is exported.</returns>
    [GuestDelegateSource]
    public Func<T1, T2, T3, T4, T5, TResult?>? GetFunction<T1, T2, T3, T4, T5, TResult>(Instance instance, string name)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        return Wrap(instance.GetFunction(name)?.WrapFunc<T1, T2, T3, T4, T5, TResult>(), name);
    }

    /// <summary>
    /// Gets an exported function as a delegate that records a guest call and then calls it, so views obtained before
    /// the call become stale (as <c>Instance.GetAction&lt;T1, T2, T3, T4, T5&gt;(name)</c>, guarded).
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <typeparam name="T5">Type of the fifth parameter.</typeparam>
    /// <param name="instance">The instance that exports the function.</param>
    /// <param name="name">The export name; stale-view errors quote it.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> if no function of that name and type is exported.</returns>
    [GuestDelegateSource]
    public Action<T1, T2, T3, T4, T5>? GetAction<T1, T2, T3, T4, T5>(Instance instance, string name)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        return Wrap(instance.GetFunction(name)?.WrapAction<T1, T2, T3, T4, T5>(), name);
    }

    /// <summary>
    /// Wraps a delegate obtained from <c>Instance.GetFunction</c> so that each call is recorded as a guest call
    /// before it runs.
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <typeparam name="T5">Type of the fifth parameter.</typeparam>
    /// <typeparam name="TResult">Return type; a tuple for several results, as in Wasmtime.</typeparam>
    /// <param name="function">The delegate to wrap; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for the function.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> when <paramref name="function"/> is <see langword="null"/>.</returns>
    [GuestDelegateSource]
    [return: NotNullIfNotNull(nameof(function))]
    public Func<T1, T2, T3, T4, T5, TResult?>? Wrap<T1, T2, T3, T4, T5, TResult>(Func<T1, T2, T3, T4, T5, TResult?>? function, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (function is null)
        {
            return null;
        }

        return (arg1, arg2, arg3, arg4, arg5) =>
        {
            var callNumber = EnterCall(name);
            try
            {
                return function(arg1, arg2, arg3, arg4, arg5);
            }
            finally
            {
                ExitCall(name, callNumber);
            }
        };
    }

    /// <summary>
    /// Wraps a delegate obtained from <c>Instance.GetAction</c> so that each call is recorded as a guest call
    /// before it runs.
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <typeparam name="T5">Type of the fifth parameter.</typeparam>
    /// <param name="action">The delegate to wrap; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for the function.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> when <paramref name="action"/> is <see langword="null"/>.</returns>
    [GuestDelegateSource]
    [return: NotNullIfNotNull(nameof(action))]
    public Action<T1, T2, T3, T4, T5>? Wrap<T1, T2, T3, T4, T5>(Action<T1, T2, T3, T4, T5>? action, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (action is null)
        {
            return null;
        }

        return (arg1, arg2, arg3, arg4, arg5) =>
        {
            var callNumber = EnterCall(name);
            try
            {
                action(arg1, arg2, arg3, arg4, arg5);
            }
            finally
            {
                ExitCall(name, callNumber);
            }
        };
    }

    /// <summary>
    /// Gets an exported function as a delegate that records a guest call and then calls it, so views obtained before
    /// the call become stale (as <c>Instance.GetFunction&lt;T1, T2, T3, T4, T5, T6, TResult&gt;(name)</c>, guarded).
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <typeparam name="T5">Type of the fifth parameter.</typeparam>
    /// <typeparam name="T6">Type of the sixth parameter.</typeparam>
    /// <typeparam name="TResult">Return type; a tuple for several results, as in Wasmtime.</typeparam>
    /// <param name="instance">The instance that exports the function.</param>
    /// <param name="name">The export name; stale-view errors quote it.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> if no function of that name and type is exported.</returns>
    [GuestDelegateSource]
    public Func<T1, T2, T3, T4, T5, T6, TResult?>? GetFunction<T1, T2, T3, T4, T5, T6, TResult>(Instance instance, string name)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        return Wrap(instance.GetFunction(name)?.WrapFunc<T1, T2, T3, T4, T5, T6, TResult>(), name);
    }

    /// <summary>
    /// Gets an exported function as a delegate that records a guest call and then calls it, so views obtained before
    /// the call become stale (as <c>Instance.GetAction&lt;T1, T2, T3, T4, T5, T6&gt;(name)</c>, guarded).
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <typeparam name="T5">Type of the fifth parameter.</typeparam>
    /// <typeparam name="T6">Type of the sixth parameter.</typeparam>
    /// <param name="instance">The instance that exports the function.</param>
    /// <param name="name">The export name; stale-view errors quote it.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> if no function of that name and type is exported.</returns>
    [GuestDelegateSource]
    public Action<T1, T2, T3, T4, T5, T6>? GetAction<T1, T2, T3, T4, T5, T6>(Instance instance, string name)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        return Wrap(instance.GetFunction(name)?.WrapAction<T1, T2, T3, T4, T5, T6>(), name);
    }

    /// <summary>
    /// Wraps a delegate obtained from <c>Instance.GetFunction</c> so that each call is recorded as a guest call
    /// before it runs.
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <typeparam name="T5">Type of the fifth parameter.</typeparam>
    /// <typeparam name="T6">Type of the sixth parameter.</typeparam>
    /// <typeparam name="TResult">Return type; a tuple for several results, as in Wasmtime.</typeparam>
    /// <param name="function">The delegate to wrap; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for the function.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> when <paramref name="function"/> is <see langword="null"/>.</returns>
    [GuestDelegateSource]
    [return: NotNullIfNotNull(nameof(function))]
    public Func<T1, T2, T3, T4, T5, T6, TResult?>? Wrap<T1, T2, T3, T4, T5, T6, TResult>(Func<T1, T2, T3, T4, T5, T6, TResult?>? function, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (function is null)
        {
            return null;
        }

        return (arg1, arg2, arg3, arg4, arg5, arg6) =>
        {
            var callNumber = EnterCall(name);
            try
            {
                return function(arg1, arg2, arg3, arg4, arg5, arg6);
            }
            finally
            {
                ExitCall(name, callNumber);
            }
        };
    }

    /// <summary>
    /// Wraps a delegate obtained from <c>Instance.GetAction</c> so that each call is recorded as a guest call
    /// before it runs.
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <typeparam name="T5">Type of the fifth parameter.</typeparam>
    /// <typeparam name="T6">Type of the sixth parameter.</typeparam>
    /// <param name="action">The delegate to wrap; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for the function.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> when <paramref name="action"/> is <see langword="null"/>.</returns>
    [GuestDelegateSource]
    [return: NotNullIfNotNull(nameof(action))]
    public Action<T1, T2, T3, T4, T5, T6>? Wrap<T1, T2, T3, T4, T5, T6>(Action<T1, T2, T3, T4, T5, T6>? action, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (action is null)
        {
            return null;
        }

        return (arg1, arg2, arg3, arg4, arg5, arg6) =>
        {
            var callNumber = EnterCall(name);
            try
            {
                action(arg1, arg2, arg3, arg4, arg5, arg6);
            }
            finally
            {
                ExitCall(name, callNumber);
            }
        };
    }

    /// <summary>
    /// Gets an exported function as a delegate that records a guest call and then calls it, so views obtained before
    /// the call become stale (as <c>Instance.GetFunction&lt;T1, T2, T3, T4, T5, T6, T7, TResult&gt;(name)</c>, guarded).
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <typeparam name="T5">Type of the fifth parameter.</typeparam>
    /// <typeparam name="T6">Type of the sixth parameter.</typeparam>
    /// <typeparam name="T7">Type of the seventh parameter.</typeparam>
    /// <typeparam name="TResult">Return type; a tuple for several results, as in Wasmtime.</typeparam>
    /// <param name="instance">The instance that exports the function.</param>
    /// <param name="name">The export name; stale-view errors quote it.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> if no function of that name and type is exported.</returns>
    [GuestDelegateSource]
    public Func<T1, T2, T3, T4, T5, T6, T7, TResult?>? GetFunction<T1, T2, T3, T4, T5, T6, T7, TResult>(Instance instance, string name)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        return Wrap(instance.GetFunction(name)?.WrapFunc<T1, T2, T3, T4, T5, T6, T7, TResult>(), name);
    }

    /// <summary>
    /// Gets an exported function as a delegate that records a guest call and then calls it, so views obtained before
    /// the call become stale (as <c>Instance.GetAction&lt;T1, T2, T3, T4, T5, T6, T7&gt;(name)</c>, guarded).
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <typeparam name="T5">Type of the fifth parameter.</typeparam>
    /// <typeparam name="T6">Type of the sixth parameter.</typeparam>
    /// <typeparam name="T7">Type of the seventh parameter.</typeparam>
    /// <param name="instance">The instance that exports the function.</param>
    /// <param name="name">The export name; stale-view errors quote it.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> if no function of that name and type is exported.</returns>
    [GuestDelegateSource]
    public Action<T1, T2, T3, T4, T5, T6, T7>? GetAction<T1, T2, T3, T4, T5, T6, T7>(Instance instance, string name)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        return Wrap(instance.GetFunction(name)?.WrapAction<T1, T2, T3, T4, T5, T6, T7>(), name);
    }

    /// <summary>
    /// Wraps a delegate obtained from <c>Instance.GetFunction</c> so that each call is recorded as a guest call
    /// before it runs.
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <typeparam name="T5">Type of the fifth parameter.</typeparam>
    /// <typeparam name="T6">Type of the sixth parameter.</typeparam>
    /// <typeparam name="T7">Type of the seventh parameter.</typeparam>
    /// <typeparam name="TResult">Return type; a tuple for several results, as in Wasmtime.</typeparam>
    /// <param name="function">The delegate to wrap; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for the function.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> when <paramref name="function"/> is <see langword="null"/>.</returns>
    [GuestDelegateSource]
    [return: NotNullIfNotNull(nameof(function))]
    public Func<T1, T2, T3, T4, T5, T6, T7, TResult?>? Wrap<T1, T2, T3, T4, T5, T6, T7, TResult>(Func<T1, T2, T3, T4, T5, T6, T7, TResult?>? function, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (function is null)
        {
            return null;
        }

        return (arg1, arg2, arg3, arg4, arg5, arg6, arg7) =>
        {
            var callNumber = EnterCall(name);
            try
            {
                return function(arg1, arg2, arg3, arg4, arg5, arg6, arg7);
            }
            finally
            {
                ExitCall(name, callNumber);
            }
        };
    }

    /// <summary>
    /// Wraps a delegate obtained from <c>Instance.GetAction</c> so that each call is recorded as a guest call
    /// before it runs.
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <typeparam name="T5">Type of the fifth parameter.</typeparam>
    /// <typeparam name="T6">Type of the sixth parameter.</typeparam>
    /// <typeparam name="T7">Type of the seventh parameter.</typeparam>
    /// <param name="action">The delegate to wrap; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for the function.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> when <paramref name="action"/> is <see langword="null"/>.</returns>
    [GuestDelegateSource]
    [return: NotNullIfNotNull(nameof(action))]
    public Action<T1, T2, T3, T4, T5, T6, T7>? Wrap<T1, T2, T3, T4, T5, T6, T7>(Action<T1, T2, T3, T4, T5, T6, T7>? action, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (action is null)
        {
            return null;
        }

        return (arg1, arg2, arg3, arg4, arg5, arg6, arg7) =>
        {
            var callNumber = EnterCall(name);
            try
            {
                action(arg1, arg2, arg3, arg4, arg5, arg6, arg7);
            }
            finally
            {
                ExitCall(name, callNumber);
            }
        };
    }

    /// <summary>
    /// Gets an exported function as a delegate that records a guest call and then calls it, so views obtained before
    /// the call become stale (as <c>Instance.GetFunction&lt;T1, T2, T3, T4, T5, T6, T7, T8, TResult&gt;(name)</c>, guarded).
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <typeparam name="T5">Type of the fifth parameter.</typeparam>
    /// <typeparam name="T6">Type of the sixth parameter.</typeparam>
    /// <typeparam name="T7">Type of the seventh parameter.</typeparam>
    /// <typeparam name="T8">Type of the eighth parameter.</typeparam>
    /// <typeparam name="TResult">Return type; a tuple for several results, as in Wasmtime.</typeparam>
    /// <param name="instance">The instance that exports the function.</param>
    /// <param name="name">The export name; stale-view errors quote it.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> if no function of that name and type is exported.</returns>
    [GuestDelegateSource]
    public Func<T1, T2, T3, T4, T5, T6, T7, T8, TResult?>? GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, TResult>(Instance instance, string name)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        return Wrap(instance.GetFunction(name)?.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, TResult>(), name);
    }

    /// <summary>
    /// Gets an exported function as a delegate that records a guest call and then calls it, so views obtained before
    /// the call become stale (as <c>Instance.GetAction&lt;T1, T2, T3, T4, T5, T6, T7, T8&gt;(name)</c>, guarded).
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <typeparam name="T5">Type of the fifth parameter.</typeparam>
    /// <typeparam name="T6">Type of the sixth parameter.</typeparam>
    /// <typeparam name="T7">Type of the seventh parameter.</typeparam>
    /// <typeparam name="T8">Type of the eighth parameter.</typeparam>
    /// <param name="instance">The instance that exports the function.</param>
    /// <param name="name">The export name; stale-view errors quote it.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> if no function of that name and type is exported.</returns>
    [GuestDelegateSource]
    public Action<T1, T2, T3, T4, T5, T6, T7, T8>? GetAction<T1, T2, T3, T4, T5, T6, T7, T8>(Instance instance, string name)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        return Wrap(instance.GetFunction(name)?.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8>(), name);
    }

    /// <summary>
    /// Wraps a delegate obtained from <c>Instance.GetFunction</c> so that each call is recorded as a guest call
    /// before it runs.
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <typeparam name="T5">Type of the fifth parameter.</typeparam>
    /// <typeparam name="T6">Type of the sixth parameter.</typeparam>
    /// <typeparam name="T7">Type of the seventh parameter.</typeparam>
    /// <typeparam name="T8">Type of the eighth parameter.</typeparam>
    /// <typeparam name="TResult">Return type; a tuple for several results, as in Wasmtime.</typeparam>
    /// <param name="function">The delegate to wrap; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for the function.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> when <paramref name="function"/> is <see langword="null"/>.</returns>
    [GuestDelegateSource]
    [return: NotNullIfNotNull(nameof(function))]
    public Func<T1, T2, T3, T4, T5, T6, T7, T8, TResult?>? Wrap<T1, T2, T3, T4, T5, T6, T7, T8, TResult>(Func<T1, T2, T3, T4, T5, T6, T7, T8, TResult?>? function, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (function is null)
        {
            return null;
        }

        return (arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8) =>
        {
            var callNumber = EnterCall(name);
            try
            {
                return function(arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8);
            }
            finally
            {
                ExitCall(name, callNumber);
            }
        };
    }

    /// <summary>
    /// Wraps a delegate obtained from <c>Instance.GetAction</c> so that each call is recorded as a guest call
    /// before it runs.
    /// </summary>
    /// <typeparam name="T1">Type of the first parameter.</typeparam>
    /// <typeparam name="T2">Type of the second parameter.</typeparam>
    /// <typeparam name="T3">Type of the third parameter.</typeparam>
    /// <typeparam name="T4">Type of the fourth parameter.</typeparam>
    /// <typeparam name="T5">Type of the fifth parameter.</typeparam>
    /// <typeparam name="T6">Type of the sixth parameter.</typeparam>
    /// <typeparam name="T7">Type of the seventh parameter.</typeparam>
    /// <typeparam name="T8">Type of the eighth parameter.</typeparam>
    /// <param name="action">The delegate to wrap; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for the function.</param>
    /// <returns>The guarded delegate, or <see langword="null"/> when <paramref name="action"/> is <see langword="null"/>.</returns>
    [GuestDelegateSource]
    [return: NotNullIfNotNull(nameof(action))]
    public Action<T1, T2, T3, T4, T5, T6, T7, T8>? Wrap<T1, T2, T3, T4, T5, T6, T7, T8>(Action<T1, T2, T3, T4, T5, T6, T7, T8>? action, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (action is null)
        {
            return null;
        }

        return (arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8) =>
        {
            var callNumber = EnterCall(name);
            try
            {
                action(arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8);
            }
            finally
            {
                ExitCall(name, callNumber);
            }
        };
    }
}
