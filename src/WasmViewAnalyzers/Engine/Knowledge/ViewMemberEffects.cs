using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace WasmViewAnalyzers.Engine.Knowledge;

/// <summary>
/// What members of the BCL and of Wasmtime do with the views they are called on or given, looked up
/// by symbol once per compilation (a method of the user's called <c>Fill</c> or a type of theirs
/// called <c>MemoryMarshal</c> is not the BCL's):
/// <list type="bullet">
/// <item><b>writing</b>: <c>Span.Fill</c>/<c>Clear</c>, the in-place <c>MemoryExtensions</c>
/// (<c>Reverse</c>, <c>Sort</c>, <c>CopyTo</c>'s destination), <c>MemoryMarshal.Write</c>;</item>
/// <item><b>reading</b>: the other span-taking methods of <c>MemoryExtensions</c> and <c>MemoryMarshal</c>;</item>
/// <item><b>copying</b>: a view's <c>ToArray</c>, whose result holds the values read out of the view, never the
/// view, whatever its element type (a <c>Span&lt;T&gt;</c> of a generic <c>T</c> or of <c>nint</c> included);</item>
/// <item><b>disposing</b>: <c>Stream.Close</c>/<c>Dispose</c>, <c>IDisposable.Dispose</c>;</item>
/// <item><b>pure</b>: members that compute their result from their inputs and do nothing else,
/// reading no guest memory (<c>Memory.GetSpan</c>, <c>MemoryMarshal.Cast</c>, <c>Unsafe.Add</c>,
/// <c>Span.Slice</c>, <c>Unsafe.SizeOf</c>, an array's <c>Length</c>): evaluating them again after a
/// guest call gives the view (or the number) they gave before, at the same address.</item>
/// </list>
/// </summary>
internal sealed class ViewMemberEffects
{
    private readonly HashSet<ISymbol> _writing = new(SymbolEqualityComparer.Default);
    private readonly HashSet<INamedTypeSymbol> _readingTypes = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ISymbol> _disposals = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ISymbol> _copies = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ISymbol> _pure = new(SymbolEqualityComparer.Default);
    private readonly HashSet<INamedTypeSymbol> _pureTypes = new(SymbolEqualityComparer.Default);

    public ViewMemberEffects(WasmSymbols symbols)
    {
        var compilation = symbols.Compilation;
        Add(_writing, symbols.Span, "Fill", "Clear");
        Add(_writing, symbols.MemoryExtensions, "Reverse", "Sort", "Replace", "CopyTo", "TryCopyTo", "Fill");
        Add(_writing, symbols.MemoryMarshal, "Write", "TryWrite");
        foreach (var type in new[] { symbols.MemoryExtensions, symbols.MemoryMarshal })
        {
            if (type is not null)
            {
                _readingTypes.Add(type);
            }
        }

        foreach (var view in new[] { symbols.Span, symbols.ReadOnlySpan, symbols.MemoryOfT, symbols.ReadOnlyMemoryOfT })
        {
            Add(_copies, view, "ToArray");
        }

        Add(_disposals, symbols.Stream, "Close", "Dispose", "DisposeAsync");
        Add(_disposals, compilation.GetSpecialType(SpecialType.System_IDisposable), "Dispose");
        Add(_disposals, symbols.GetType("System.IAsyncDisposable"), "DisposeAsync");

        // Reading guest memory (Memory.ReadInt32, a span's element by value) is not pure: the guest
        // may have written a new value there.
        Add(_pure, symbols.Memory, "GetSpan", "GetPointer", "GetLength", "GetSize");
        Add(_pure, symbols.Caller, "GetMemory", "TryGetMemorySpan");
        Add(_pure, symbols.Instance, "GetMemory");
        Add(_pure, symbols.MemoryMarshal, "AsRef", "Cast", "AsBytes", "CreateSpan", "CreateReadOnlySpan", "GetReference", "GetArrayDataReference");
        Add(_pure, symbols.Unsafe, "As", "AsRef", "Add", "AddByteOffset", "Subtract", "SubtractByteOffset", "AsPointer", "SizeOf", "ByteOffset", "NullRef", "IsNullRef");
        Add(_pure, symbols.MemoryExtensions, "AsSpan", "AsMemory");
        foreach (var view in new[] { symbols.Span, symbols.ReadOnlySpan, symbols.MemoryOfT, symbols.ReadOnlyMemoryOfT })
        {
            Add(_pure, view, "Slice", "GetPinnableReference", "Length", "IsEmpty", "Span", "op_Implicit");
        }

        Add(_pure, compilation.GetSpecialType(SpecialType.System_IntPtr), "ToPointer", "ToInt64", "ToInt32", "Add", "Subtract", "op_Addition", "op_Subtraction", "op_Explicit", "op_Implicit", "Size", "Zero");
        Add(_pure, compilation.GetSpecialType(SpecialType.System_UIntPtr), "ToPointer", "ToUInt64", "ToUInt32", "Add", "Subtract", "op_Addition", "op_Subtraction", "op_Explicit", "op_Implicit", "Size", "Zero");
        Add(_pure, compilation.GetSpecialType(SpecialType.System_Array), "Length", "LongLength");
        Add(_pure, compilation.GetSpecialType(SpecialType.System_String), "Length");
        Add(_pure, symbols.GetType("System.Math"), "Min", "Max", "Abs", "Clamp");
        Add(_pure, symbols.GetType("System.Runtime.InteropServices.Marshal"), "SizeOf");

        // The companion library's views: obtaining one again records the memory's state anew.
        Add(_pure, symbols.GetType("WasmViewAnalyzers.Runtime.GuestMemoryGuard"), "GetView", "Memory");
        Add(_pure, symbols.GetType("WasmViewAnalyzers.Runtime.GuardedView"), "Span", "Memory", "Length", "Address");
        foreach (var type in new[] { symbols.Span, symbols.ReadOnlySpan })
        {
            if (type is not null)
            {
                _pureTypes.Add(type);
            }
        }
    }

    /// <summary>Whether <paramref name="method"/> (called on a span, or given one) writes it.</summary>
    public bool IsWriting(IMethodSymbol method) => _writing.Contains(Definition(method));

    /// <summary>Whether <paramref name="method"/> is declared by a type whose span-taking methods only read, unless <see cref="IsWriting"/>.</summary>
    public bool IsOfReadingType(IMethodSymbol method) => method.ContainingType is { } type && _readingTypes.Contains(type.OriginalDefinition);

    /// <summary>Whether <paramref name="method"/> returns a copy of the view it is called on (<c>span.ToArray()</c>).</summary>
    public bool IsCopy(IMethodSymbol method) => _copies.Contains(Definition(method));

    /// <summary><c>Stream.Close</c>/<c>Dispose</c>/<c>DisposeAsync</c> (or an override), or an implementation of <c>IDisposable.Dispose</c>/<c>IAsyncDisposable.DisposeAsync</c>.</summary>
    public bool IsDisposal(IMethodSymbol method)
    {
        for (var current = Definition(method); current is not null; current = current.OverriddenMethod)
        {
            if (_disposals.Contains(current))
            {
                return true;
            }
        }

        return method.ContainingType is { } type
               && _disposals.Any(disposal => disposal.ContainingType.TypeKind == TypeKind.Interface
                                             && SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(disposal), method));
    }

    /// <summary>
    /// Whether calling <paramref name="member"/> (a method, or a property's getter) computes its result
    /// from its receiver and arguments alone, with no other effect and without reading guest memory.
    /// </summary>
    public bool IsPure(ISymbol member)
    {
        var definition = member switch
        {
            IMethodSymbol method => Definition(method),
            _ => member.OriginalDefinition,
        };
        return _pure.Contains(definition);
    }

    /// <summary><c>new Span&lt;T&gt;(pointer, length)</c>: a span over the same address, nothing else.</summary>
    public bool IsPureCreation(INamedTypeSymbol type) => _pureTypes.Contains(type.OriginalDefinition);

    private static IMethodSymbol Definition(IMethodSymbol method) => (method.ReducedFrom ?? method).OriginalDefinition;

    private static void Add(HashSet<ISymbol> set, INamedTypeSymbol? type, params string[] names)
    {
        if (type is null)
        {
            return;
        }

        foreach (var name in names)
        {
            foreach (var member in type.GetMembers(name))
            {
                set.Add(member.OriginalDefinition);
            }
        }
    }
}
