// These attributes are the contract between the runtime library and the analyzers in the
// WasmViewAnalyzers package. The analyzers match them by full name, so a project that does not
// reference this library may declare its own copies (same namespace and names) to teach the
// analyzers about its own wrappers.
namespace WasmViewAnalyzers;

/// <summary>
/// Calling the annotated member may run WebAssembly code or grow guest memory, so any view into
/// guest linear memory obtained before the call may be stale afterwards.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Constructor | AttributeTargets.Property, Inherited = false)]
public sealed class GuestCallAttribute : Attribute
{
}

/// <summary>
/// The annotated method or property returns a view into guest linear memory (or, on an
/// <c>out</c> parameter, stores one there). The view must not be used after a guest call.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Property | AttributeTargets.Parameter, Inherited = false)]
public sealed class GuestViewSourceAttribute : Attribute
{
}

/// <summary>
/// The annotated method or property returns a delegate whose invocation is a guest call.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Property, Inherited = false)]
public sealed class GuestDelegateSourceAttribute : Attribute
{
}

/// <summary>
/// Values of the annotated type are views that check their own freshness when they are read.
/// Storing or queuing them is safe (a stale read throws); reading one after a guest call is
/// still reported, because it would throw.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class RuntimeCheckedViewAttribute : Attribute
{
}
