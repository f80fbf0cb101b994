using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine.Knowledge;

/// <summary>
/// The APIs through which a value outlives the call that receives it (WVA002): collections that
/// keep what is added, channels and producer/consumer queues, and schedulers that run a delegate
/// later (<c>Task.Run</c>, the thread pool, timers, threads). Looked up by symbol once per
/// compilation; a user's own method named <c>Add</c> is not <c>List.Add</c> unless it implements a
/// collection interface.
/// </summary>
internal sealed class EscapeSinks
{
    /// <summary>The <c>.editorconfig</c> key listing extra methods that keep their arguments (<c>Namespace.Type.Method</c>, comma separated).</summary>
    private readonly Dictionary<INamedTypeSymbol, ImmutableHashSet<string>> _storing = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<INamedTypeSymbol, ImmutableHashSet<string>> _deferred = new(SymbolEqualityComparer.Default);
    private readonly List<IMethodSymbol> _storingInterfaceMethods = new();
    private readonly List<INamedTypeSymbol> _indexedCollections = new();
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _implementsStoring = new(SymbolEqualityComparer.Default);
    private readonly Func<ISymbol, bool> _isConfigured;
    private readonly IAssemblySymbol? _wasmtime;

    /// <param name="isConfigured">Methods the user names in <c>wasm_view_analyzers.escape_sinks</c>.</param>
    public EscapeSinks(Compilation compilation, Func<ISymbol, bool> isConfigured)
    {
        _isConfigured = isConfigured;
        _wasmtime = compilation.GetTypeByMetadataName("Wasmtime.Memory")?.ContainingAssembly;
        const string Generic = "System.Collections.Generic.";
        const string Concurrent = "System.Collections.Concurrent.";
        const string Immutable = "System.Collections.Immutable.";
        AddStoring(compilation, Generic + "List`1", "Add", "AddRange", "Insert", "InsertRange");
        AddStoring(compilation, Generic + "Queue`1", "Enqueue");
        AddStoring(compilation, Generic + "Stack`1", "Push");
        AddStoring(compilation, Generic + "HashSet`1", "Add");
        AddStoring(compilation, Generic + "SortedSet`1", "Add");
        AddStoring(compilation, Generic + "LinkedList`1", "AddFirst", "AddLast", "AddBefore", "AddAfter");
        AddStoring(compilation, Generic + "Dictionary`2", "Add", "TryAdd");
        AddStoring(compilation, Generic + "SortedDictionary`2", "Add");
        AddStoring(compilation, Generic + "SortedList`2", "Add");
        AddStoring(compilation, Generic + "PriorityQueue`2", "Enqueue", "EnqueueRange", "EnqueueDequeue");
        AddStoring(compilation, "System.Collections.ObjectModel.Collection`1", "Add", "Insert");
        AddStoring(compilation, Concurrent + "ConcurrentQueue`1", "Enqueue");
        AddStoring(compilation, Concurrent + "ConcurrentStack`1", "Push", "PushRange");
        AddStoring(compilation, Concurrent + "ConcurrentBag`1", "Add");
        AddStoring(compilation, Concurrent + "ConcurrentDictionary`2", "TryAdd", "AddOrUpdate", "GetOrAdd", "TryUpdate");
        AddStoring(compilation, Concurrent + "BlockingCollection`1", "Add", "TryAdd");
        AddStoring(compilation, "System.Threading.Channels.ChannelWriter`1", "TryWrite", "WriteAsync");
        AddStoring(compilation, Immutable + "ImmutableList`1+Builder", "Add", "AddRange", "Insert");
        AddStoring(compilation, Immutable + "ImmutableArray`1+Builder", "Add", "AddRange", "Insert");
        AddStoring(compilation, Immutable + "ImmutableHashSet`1+Builder", "Add");
        AddStoring(compilation, Immutable + "ImmutableDictionary`2+Builder", "Add");

        // A collection of the user's own (or of a library) is recognised by the interface it implements.
        AddInterfaceMethod(compilation, Generic + "ICollection`1", "Add");
        AddInterfaceMethod(compilation, Generic + "IList`1", "Insert");
        AddInterfaceMethod(compilation, Generic + "IDictionary`2", "Add");
        AddInterfaceMethod(compilation, Generic + "ISet`1", "Add");
        AddInterfaceMethod(compilation, Concurrent + "IProducerConsumerCollection`1", "TryAdd");

        foreach (var name in new[] { Generic + "IList`1", Generic + "IDictionary`2", Concurrent + "ConcurrentDictionary`2" })
        {
            if (compilation.GetTypeByMetadataName(name) is { } type)
            {
                _indexedCollections.Add(type);
            }
        }

        AddDeferred(compilation, "System.Threading.Tasks.Task", "Run", "ContinueWith", WellKnownMemberNames.InstanceConstructorName);
        AddDeferred(compilation, "System.Threading.Tasks.Task`1", "ContinueWith", WellKnownMemberNames.InstanceConstructorName);
        AddDeferred(compilation, "System.Threading.Tasks.TaskFactory", "StartNew");
        AddDeferred(compilation, "System.Threading.Tasks.TaskFactory`1", "StartNew");
        AddDeferred(compilation, "System.Threading.ThreadPool", "QueueUserWorkItem", "UnsafeQueueUserWorkItem", "RegisterWaitForSingleObject", "UnsafeRegisterWaitForSingleObject");
        AddDeferred(compilation, "System.Threading.Timer", WellKnownMemberNames.InstanceConstructorName);
        AddDeferred(compilation, "System.Threading.Thread", WellKnownMemberNames.InstanceConstructorName);
        AddDeferred(compilation, "System.Threading.CancellationToken", "Register", "UnsafeRegister");
        AddDeferred(compilation, "System.Threading.SynchronizationContext", "Post");
    }

    /// <summary>Whether the call keeps its arguments (and the delegates among them) beyond the call.</summary>
    public bool IsStoringCall(IMethodSymbol method)
    {
        var definition = method.OriginalDefinition;
        if (definition.ContainingType is { } type
            && _storing.TryGetValue(type.OriginalDefinition, out var names)
            && names.Contains(method.Name))
        {
            return true;
        }

        return ImplementsStoringInterface(method) || _isConfigured(method);
    }

    /// <summary>
    /// Whether the call (or constructor) runs a delegate argument later: on another thread or a
    /// timer, or, for every Wasmtime method that takes a delegate (<c>Linker.DefineFunction</c>,
    /// <c>Function.FromCallback</c>), whenever the guest calls the host function it defines.
    /// </summary>
    public bool IsDeferredRunner(IMethodSymbol method)
        => (method.ContainingType is { } type
            && _deferred.TryGetValue(type.OriginalDefinition, out var names)
            && names.Contains(method.Name))
           || IsWasmtimeCallbackRegistration(method);

    private bool IsWasmtimeCallbackRegistration(IMethodSymbol method)
    {
        if (_wasmtime is null || !SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, _wasmtime))
        {
            return false;
        }

        foreach (var parameter in method.Parameters)
        {
            if (parameter.Type.TypeKind == TypeKind.Delegate)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether assigning this indexer stores the value in a collection (<c>cache[key] = view</c>).</summary>
    public bool IsStoringIndexer(IPropertySymbol property)
    {
        if (!property.IsIndexer || property.ContainingType is not { } type || property.ReturnsByRef || property.ReturnsByRefReadonly)
        {
            return false;
        }

        foreach (var candidate in SelfAndInterfaces(type))
        {
            foreach (var collection in _indexedCollections)
            {
                if (SymbolEqualityComparer.Default.Equals(candidate.OriginalDefinition, collection))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private bool ImplementsStoringInterface(IMethodSymbol method)
    {
        if (_storingInterfaceMethods.Count == 0 || method.IsStatic || method.ContainingType is not { } type)
        {
            return false;
        }

        // Asked for nearly every call the flow analysis evaluates: the cached answer is read without
        // making the closure that computing it needs.
        return _implementsStoring.TryGetValue(method, out var implements)
            ? implements
            : _implementsStoring.GetOrAdd(method, ComputeImplementsStoringInterface(method, type));
    }

    private bool ComputeImplementsStoringInterface(IMethodSymbol method, INamedTypeSymbol type)
    {
        foreach (var interfaceMethod in _storingInterfaceMethods)
        {
            if (interfaceMethod.Name != method.Name)
            {
                continue;
            }

            if (SymbolEqualityComparer.Default.Equals(method.OriginalDefinition, interfaceMethod))
            {
                return true;
            }

            foreach (var implemented in type.AllInterfaces)
            {
                if (!SymbolEqualityComparer.Default.Equals(implemented.OriginalDefinition, interfaceMethod.ContainingType))
                {
                    continue;
                }

                foreach (var member in implemented.GetMembers(interfaceMethod.Name))
                {
                    if (SymbolEqualityComparer.Default.Equals(member.OriginalDefinition, interfaceMethod)
                        && SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(member)?.OriginalDefinition, method.OriginalDefinition))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    private void AddStoring(Compilation compilation, string metadataName, params string[] methods)
    {
        if (compilation.GetTypeByMetadataName(metadataName) is { } type)
        {
            _storing[type] = ImmutableHashSet.Create(StringComparer.Ordinal, methods);
        }
    }

    private void AddDeferred(Compilation compilation, string metadataName, params string[] methods)
    {
        if (compilation.GetTypeByMetadataName(metadataName) is { } type)
        {
            _deferred[type] = ImmutableHashSet.Create(StringComparer.Ordinal, methods);
        }
    }

    private void AddInterfaceMethod(Compilation compilation, string metadataName, string method)
    {
        if (compilation.GetTypeByMetadataName(metadataName) is { } type)
        {
            foreach (var member in type.GetMembers(method))
            {
                if (member is IMethodSymbol interfaceMethod)
                {
                    _storingInterfaceMethods.Add(interfaceMethod);
                }
            }
        }
    }

    private static IEnumerable<INamedTypeSymbol> SelfAndInterfaces(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            yield return current;
        }

        foreach (var @interface in type.AllInterfaces)
        {
            yield return @interface;
        }
    }
}

/// <summary>Where a parameter of a method of the compilation ends up when the method keeps it (WVA002, across calls).</summary>
internal sealed class ParameterEscape
{
    public ParameterEscape(string destination, bool intoReceiver)
        : this(destination, intoReceiver, intoParameter: null)
    {
    }

    public ParameterEscape(string destination, bool intoReceiver, int? intoParameter)
    {
        Destination = destination;
        IntoReceiver = intoReceiver;
        IntoParameter = intoParameter;
    }

    /// <summary>Where it goes, as a phrase: <c>stored in field '_items'</c>.</summary>
    public string Destination { get; }

    /// <summary>
    /// Only into the object the method runs on (a field of <c>this</c>, a collection held there): a
    /// constructor doing so builds an object that carries the view, which is followed like any view.
    /// </summary>
    public bool IntoReceiver { get; }

    /// <summary>
    /// Only into the location the caller passes as this <c>ref</c> parameter (<c>Put(ref slot, value)</c>
    /// assigning <c>slot = value</c>): the caller's argument receives the value, as if assigned there.
    /// </summary>
    public int? IntoParameter { get; }
}
