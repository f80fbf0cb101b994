using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wasmtime;

namespace WasmViewAnalyzers.Runtime.Internals;

/// <summary>
/// The linear memories of <see cref="WasmStress.CreateConfig"/> on Linux, through Wasmtime's host memory creator (C API
/// <c>wasmtime_config_host_memory_creator_set</c>, which Wasmtime's .NET API does not expose).
/// </summary>
/// <remarks>
/// Wasmtime's own memories move on a grow by mapping a larger region, copying, and unmapping the old one; the kernel
/// then hands the freed addresses to the next mapping, often the memory's own next region, so a raw view kept across
/// two grows may point into the memory again. These memories move the same way but never unmap a region they leave:
/// it is mapped again, inaccessible and without backing pages, until Wasmtime drops the memory with its store. No
/// mapping of the process can land there meanwhile, so a raw view of a left region never lies inside a live memory,
/// and reading it faults.
/// </remarks>
internal static unsafe class StressMemoryCreator
{
    private const int ProtNone = 0;
    private const int ProtReadWrite = 0x1 | 0x2;
    private const int MapPrivate = 0x02;
    private const int MapFixed = 0x10;
    private const int MapAnonymous = 0x20;
    private const int MapNoReserve = 0x4000;
    private const int ReservedFlags = MapPrivate | MapAnonymous | MapNoReserve;

    private static readonly nuint HostPageSize = (nuint)Environment.SystemPageSize;

    /// <summary>Linux only: the mapping calls and their flags are Linux's (x64 and arm64 share them).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Makes every linear memory of engines built from <paramref name="config"/> one of these.</summary>
    public static void Install(Config config)
    {
        var handle = NativeConfig(config);
        var creator = new WasmtimeMemoryCreator { NewMemory = &NewMemory };
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            // Wasmtime copies the struct; nothing of it needs to outlive this call.
            Native.wasmtime_config_host_memory_creator_set(handle.DangerousGetHandle(), &creator);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    // Wasmtime.Config keeps its wasm_config_t* behind an internal property: the one place this library reads a Wasmtime
    // internal, only to build the stress configuration, and loudly if it is gone.
    private static SafeHandle NativeConfig(Config config)
    {
        var property = typeof(Config).GetProperty("NativeHandle", BindingFlags.Instance | BindingFlags.NonPublic);
        if (property?.GetValue(config) is SafeHandle handle)
        {
            return handle;
        }

        var version = typeof(Config).Assembly.GetName().Version;
        throw new NotSupportedException(
            $"WasmStress.CreateConfig cannot reach the native configuration of Wasmtime.Config in this Wasmtime version ({version}), which it needs to keep the regions a moved memory leaves unmappable. WasmViewAnalyzers.Runtime was built against Wasmtime 50.0.1.");
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static nint NewMemory(nint env, nint memoryType, nuint minimum, nuint maximum, nuint reservedSize, nuint guardSize, WasmtimeLinearMemory* result)
    {
        try
        {
            var memory = new StressLinearMemory(minimum, reservedSize, guardSize);
            result->Env = GCHandle.ToIntPtr(GCHandle.Alloc(memory));
            result->GetMemory = &GetMemory;
            result->GrowMemory = &GrowMemory;
            result->Finalizer = &DropMemory;
            return 0;
        }
        catch (Exception exception)
        {
            return Error($"the stress configuration could not create a linear memory of {minimum} bytes: {exception.Message}");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static byte* GetMemory(nint env, nuint* byteSize, nuint* byteCapacity)
    {
        var memory = (StressLinearMemory)GCHandle.FromIntPtr(env).Target!;
        *byteSize = memory.ByteSize;
        *byteCapacity = memory.Capacity;
        return (byte*)memory.Base;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static nint GrowMemory(nint env, nuint newSize)
    {
        try
        {
            ((StressLinearMemory)GCHandle.FromIntPtr(env).Target!).GrowTo(newSize);
            return 0;
        }
        catch (Exception exception)
        {
            return Error($"the stress configuration could not grow a linear memory to {newSize} bytes: {exception.Message}");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void DropMemory(nint env)
    {
        var handle = GCHandle.FromIntPtr(env);
        ((StressLinearMemory)handle.Target!).Release();
        handle.Free();
    }

    private static nint Error(string message)
    {
        var utf8 = Marshal.StringToCoTaskMemUTF8(message);
        try
        {
            return Native.wasmtime_error_new((byte*)utf8);
        }
        finally
        {
            Marshal.FreeCoTaskMem(utf8);
        }
    }

    private static nuint RoundUpToPages(nuint bytes)
    {
        if (bytes > nuint.MaxValue - HostPageSize)
        {
            throw new OutOfMemoryException($"{bytes} bytes do not fit in the address space.");
        }

        return (bytes + HostPageSize - 1) & ~(HostPageSize - 1);
    }

    /// <summary>An inaccessible reservation with no backing pages; at least one page, so that its address is its own.</summary>
    private static nint Reserve(nuint length)
    {
        var address = Native.mmap(0, length, ProtNone, ReservedFlags, -1, 0);
        if (address == -1)
        {
            throw new OutOfMemoryException($"mmap of {length} bytes failed (errno {Marshal.GetLastPInvokeError()}).");
        }

        return address;
    }

    private static void MakeAccessible(nint address, nuint length)
    {
        if (length > 0 && Native.mprotect(address, length, ProtReadWrite) != 0)
        {
            throw new OutOfMemoryException($"mprotect of {length} bytes failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>
    /// One linear memory. Used only by the thread that runs its store, and finalized once, when Wasmtime drops it.
    /// </summary>
    private sealed class StressLinearMemory
    {
        private readonly nuint _guardSize;
        private readonly List<(nint Address, nuint Length)> _left = [];
        private nuint _mappingLength;
        private nuint _accessible;

        public StressLinearMemory(nuint minimum, nuint reservedSize, nuint guardSize)
        {
            _guardSize = RoundUpToPages(guardSize);

            // With a reservation (the stress configuration sets none) Wasmtime expects growth within it to stay in place;
            // without one, the capacity is the size itself, so every grow of a page or more moves.
            var region = reservedSize > 0 ? RoundUpToPages(Math.Max(reservedSize, minimum)) : Math.Max(RoundUpToPages(minimum), HostPageSize);
            Capacity = reservedSize > 0 ? region : minimum;
            _mappingLength = region + _guardSize;
            Base = Reserve(_mappingLength);
            try
            {
                _accessible = RoundUpToPages(minimum);
                MakeAccessible(Base, _accessible);
            }
            catch
            {
                _ = Native.munmap(Base, _mappingLength);
                throw;
            }

            ByteSize = minimum;
        }

        public nint Base { get; private set; }

        public nuint ByteSize { get; private set; }

        public nuint Capacity { get; private set; }

        public void GrowTo(nuint newSize)
        {
            var accessible = RoundUpToPages(newSize);
            if (newSize <= Capacity)
            {
                MakeAccessible(Base + (nint)_accessible, accessible - _accessible);
                _accessible = accessible;
                ByteSize = newSize;
                return;
            }

            // Mapped before the old region is left, so the two never overlap; the copy is the move Wasmtime would make.
            var mappingLength = accessible + _guardSize;
            var moved = Reserve(mappingLength);
            try
            {
                MakeAccessible(moved, accessible);
                Buffer.MemoryCopy((void*)Base, (void*)moved, ByteSize, ByteSize);
                Leave(Base, _mappingLength);
            }
            catch
            {
                _ = Native.munmap(moved, mappingLength);
                throw;
            }

            Base = moved;
            _mappingLength = mappingLength;
            _accessible = accessible;
            ByteSize = newSize;
            Capacity = newSize;
        }

        public void Release()
        {
            _ = Native.munmap(Base, _mappingLength);
            foreach (var (address, length) in _left)
            {
                _ = Native.munmap(address, length);
            }

            _left.Clear();
        }

        /// <summary>
        /// Replaces the region in place by an inaccessible reservation: its pages (and their bytes) are gone, its addresses
        /// stay taken until <see cref="Release"/>.
        /// </summary>
        private void Leave(nint address, nuint length)
        {
            if (Native.mmap(address, length, ProtNone, ReservedFlags | MapFixed, -1, 0) != address)
            {
                throw new OutOfMemoryException($"keeping the {length} bytes the memory left reserved failed (errno {Marshal.GetLastPInvokeError()}).");
            }

            _left.Add((address, length));
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct WasmtimeMemoryCreator
    {
        public nint Env;
        public delegate* unmanaged[Cdecl]<nint, nint, nuint, nuint, nuint, nuint, WasmtimeLinearMemory*, nint> NewMemory;
        public delegate* unmanaged[Cdecl]<nint, void> Finalizer;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct WasmtimeLinearMemory
    {
        public nint Env;
        public delegate* unmanaged[Cdecl]<nint, nuint*, nuint*, byte*> GetMemory;
        public delegate* unmanaged[Cdecl]<nint, nuint, nint> GrowMemory;
        public delegate* unmanaged[Cdecl]<nint, void> Finalizer;
    }

    private static class Native
    {
        [DllImport("wasmtime")]
        public static extern void wasmtime_config_host_memory_creator_set(nint config, WasmtimeMemoryCreator* creator);

        [DllImport("wasmtime")]
        public static extern nint wasmtime_error_new(byte* message);

        [DllImport("libc", SetLastError = true)]
        public static extern nint mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

        [DllImport("libc", SetLastError = true)]
        public static extern int mprotect(nint address, nuint length, int protection);

        [DllImport("libc", SetLastError = true)]
        public static extern int munmap(nint address, nuint length);
    }
}
