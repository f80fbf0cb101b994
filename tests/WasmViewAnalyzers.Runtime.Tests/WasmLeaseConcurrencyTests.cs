using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using WasmViewAnalyzers.Runtime.Internals;

namespace WasmViewAnalyzers.Runtime.Tests;

/// <summary>Leases across many generations of their slot, and leases read on one thread while another disposes them.</summary>
/// <remarks>
/// Alone, after the other tests: the pools are process-wide, and tests running beside these would take slots and arrays
/// from them (and allocate) or steal the cores the races need.
/// </remarks>
[Collection(nameof(SerialTests))]
public sealed class WasmLeaseConcurrencyTests : IDisposable
{

    private readonly GuestHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void StaleHandle_TwoToTheThirtyTwoCyclesOfItsSlotLater_StillThrows_AndCannotDisposeTheLiveLease()
    {
        var stale = _host.Memory.LeaseCopy(GuestHost.GreetingAddress, 5);
        stale.Dispose();
        var slot = stale.Slot!;
        // The seam: as if 2^32 - 2 leases had come and gone on this slot since. Two more real cycles follow.
        slot.Generation += (1L << 32) - 2;
        var previous = _host.Memory.LeaseCopy(0, 5);
        Assert.Same(slot, previous.Slot);
        previous.Dispose();

        using var live = _host.Memory.LeaseCopy(GuestHost.GreetingAddress + 7, 5);

        Assert.Same(slot, live.Slot);
        Assert.Throws<ObjectDisposedException>(() => stale.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => stale.Memory);
        stale.Dispose();
        Assert.Equal("guest", Encoding.ASCII.GetString(live.Span));
    }

    [Fact]
    public void SlotReachingItsLastGeneration_IsRetired_SoNoGenerationRepeats()
    {
        var first = _host.Memory.LeaseCopy(0, 5);
        first.Dispose();
        var slot = first.Slot!;
        slot.Generation = LeaseSlot<byte>.LastGeneration - 2;
        var beforeLast = _host.Memory.LeaseCopy(0, 5);
        Assert.Same(slot, beforeLast.Slot);
        beforeLast.Dispose();
        var last = _host.Memory.LeaseCopy(0, 5);
        Assert.Same(slot, last.Slot);

        last.Dispose();
        using var next = _host.Memory.LeaseCopy(GuestHost.GreetingAddress, 5);

        Assert.Equal(LeaseSlot<byte>.LastGeneration, slot.Generation);
        Assert.NotSame(slot, next.Slot);
        Assert.Throws<ObjectDisposedException>(() => last.Span.Length);
        last.Dispose();
        Assert.Equal("hello", Encoding.ASCII.GetString(next.Span));
    }

    [Fact]
    public void SpanTakenWhileAnotherThreadDisposes_IsThisLeasesArrayOrThrowsObjectDisposed()
    {
        const int rounds = 2_000;
        var outcomes = Race(rounds, leaseLength: 256, (lease, expected, ownArray) =>
        {
            var span = lease.Span;
            return Unsafe.AreSame(ref MemoryMarshal.GetReference(span), ref ownArray[0]) && span.Length == 256;
        });

        Assert.Equal(0, outcomes.Wrong);
        Assert.Equal(rounds, outcomes.Disposed);
    }

    [Fact]
    public void CopyToAndToArrayWhileAnotherThreadDisposes_ReturnTheLeasesBytesOrThrowObjectDisposed()
    {
        // Long enough that a copy takes a while, so that the other thread's dispose and next lease (which usually gets
        // the same array back from the pool) often land in the middle of it.
        const int rounds = 3_000;
        const int leaseLength = 64 * 1024;
        var buffer = new byte[leaseLength];
        var outcomes = Race(rounds, leaseLength, (lease, expected, _) =>
        {
            bool right;
            if ((expected & 1) == 0)
            {
                lease.CopyTo(buffer);
                right = buffer.AsSpan().IndexOfAnyExcept(expected) < 0;
            }
            else
            {
                right = lease.ToArray().AsSpan().IndexOfAnyExcept(expected) < 0;
            }

            return right;
        });

        Assert.Equal(0, outcomes.Wrong);
        Assert.Equal(rounds, outcomes.Disposed);
    }

    [Fact]
    public void LeasesDisposedOnAnotherThread_WithManyOutstanding_AllocateNothingInSteadyState()
    {
        // More than the slot pool's per-thread cell and shared array hold (17 on this machine's core count, at least).
        var outstanding = Math.Max(48, Environment.ProcessorCount * 4 + 32);
        var leases = new WasmLease<byte>[outstanding];
        var source = new byte[64];
        long renterBytes = 0;
        long disposerBytes = 0;
        using var leased = new SemaphoreSlim(0);
        using var disposed = new SemaphoreSlim(0);
        const int warmUp = 20;
        const int measured = 50;
        var disposer = new Thread(() =>
        {
            for (var round = 0; round < warmUp + measured; round++)
            {
                leased.Wait();
                var before = GC.GetAllocatedBytesForCurrentThread();
                foreach (var lease in leases)
                {
                    lease.Dispose();
                }

                if (round >= warmUp)
                {
                    disposerBytes += GC.GetAllocatedBytesForCurrentThread() - before;
                }

                disposed.Release();
            }
        });
        disposer.Start();

        for (var round = 0; round < warmUp + measured; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < leases.Length; i++)
            {
                leases[i] = source.AsSpan().LeaseCopy();
            }

            if (round >= warmUp)
            {
                renterBytes += GC.GetAllocatedBytesForCurrentThread() - before;
            }

            leased.Release();
            disposed.Wait();
        }

        disposer.Join();
        Assert.Equal(0, renterBytes);
        Assert.Equal(0, disposerBytes);
    }

    /// <summary>
    /// Each round leases <paramref name="leaseLength"/> bytes of one value, then lets another thread dispose the lease and at
    /// once lease the same length of another value (which reuses the slot and, from the pool, often the array), while
    /// this thread reads the first lease with <paramref name="read"/> again and again until the dispose shows, and
    /// once more after the other thread is done (that read must throw). The same thread's pools hand the second lease
    /// the first one's slot and array, the worst case for a reader. Returns the reads that returned the lease's own
    /// bytes, the rounds that ended in ObjectDisposedException, and the rounds that went wrong.
    /// </summary>
    private static (int Right, int Disposed, int Wrong) Race(int rounds, int leaseLength, Func<WasmLease<byte>, byte, byte[], bool> read)
    {
        var right = 0;
        var disposedCount = 0;
        var wrong = new List<string>();
        var current = default(WasmLease<byte>);
        var next = default(WasmLease<byte>);
        using var start = new Barrier(2);
        var source = new byte[leaseLength];
        var other = new byte[leaseLength];
        // Set by the other thread once its Dispose and next lease are done: from then on every read of the disposed
        // lease must throw. The reader reads until it sees it set and once more, so every round runs the race to its
        // end however the two threads are scheduled (on a loaded machine the other thread may not run for a while).
        var disposed = 0;
        var disposer = new Thread(() =>
        {
            for (var round = 0; round < rounds; round++)
            {
                start.SignalAndWait();
                current.Dispose();
                next = other.AsSpan().LeaseCopy();
                Volatile.Write(ref disposed, 1);
                start.SignalAndWait();
            }
        });
        disposer.Start();

        for (var round = 0; round < rounds; round++)
        {
            var expected = (byte)(round % 200);
            source.AsSpan().Fill(expected);
            other.AsSpan().Fill((byte)(expected + 1));
            current = source.AsSpan().LeaseCopy();
            Assert.True(MemoryMarshal.TryGetArray<byte>(current.Memory, out var segment));
            Volatile.Write(ref disposed, 0);
            start.SignalAndWait();
            try
            {
                var reads = 0;
                while (true)
                {
                    var afterDispose = Volatile.Read(ref disposed) == 1;
                    reads++;
                    if (!read(current, expected, segment.Array!))
                    {
                        wrong.Add($"round {round}: wrong bytes or array after {reads} reads");
                        break;
                    }

                    if (afterDispose)
                    {
                        wrong.Add($"round {round}: a read after Dispose returned the bytes instead of throwing");
                        break;
                    }

                    right++;
                }
            }
            catch (ObjectDisposedException)
            {
                disposedCount++;
            }
            catch (Exception exception)
            {
                wrong.Add($"round {round}: {exception.GetType().Name}");
            }

            start.SignalAndWait();

            // Disposed here, not on the other thread, so that the other thread's pools hold nothing at the start of
            // the next round and its next lease gets the disposed lease's slot and array back.
            next.Dispose();
        }

        disposer.Join();
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {rounds} rounds went wrong, first: {wrong.FirstOrDefault()}");
        return (right, disposedCount, wrong.Count);
    }
}

/// <summary>Test classes that must not run beside others.</summary>
[CollectionDefinition(nameof(SerialTests), DisableParallelization = true)]
public sealed class SerialTests
{
}
