// Payment ledger validator: the guest keeps an array of posting structs in its memory and validates batches of
// transfers; the host reads and writes postings by ref. Shape: DotNetIsolator's invocation block read by ref, Extism host-side structs.
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Spring.LedgerValidator;

[StructLayout(LayoutKind.Sequential)]
public struct Posting
{
    public long AccountId;
    public long AmountMinor;
    public int CurrencyCode;
    public int Flags;
    public int MemoPtr;
    public int MemoLen;
}

[StructLayout(LayoutKind.Sequential)]
public struct BatchHeader
{
    public int Count;
    public int FirstPosting;
    public int Verdict;
    public int FailingIndex;
}

public sealed class LedgerGuest
{
    private readonly Memory _memory;
    private readonly Func<int, int> _allocPostings;
    private readonly Func<int, int> _validate;
    private readonly Func<int, int, int> _copyMemo;
    private readonly Action _resetArena;
    private readonly int _headerAddress;

    public LedgerGuest(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _allocPostings = instance.GetFunction<int, int>("alloc_postings")!;
        _validate = instance.GetFunction<int, int>("validate_batch")!;
        _copyMemo = instance.GetFunction<int, int, int>("copy_memo")!;
        _resetArena = instance.GetAction("reset_arena")!;
        _headerAddress = instance.GetFunction<int>("batch_header")!();
    }

    // Helper that returns a ref into guest memory: pure (no guest call, no allocation).
    private ref BatchHeader Header() => ref MemoryMarshal.AsRef<BatchHeader>(_memory.GetSpan(_headerAddress, Unsafe.SizeOf<BatchHeader>()));

    private ref Posting PostingAt(int first, int index)
        => ref MemoryMarshal.Cast<byte, Posting>(_memory.GetSpan(first, (index + 1) * Unsafe.SizeOf<Posting>()))[index];

    // Calls the guest two levels down: copies a memo string into guest memory.
    private int StageMemo(string memo) => StageBytes(System.Text.Encoding.UTF8.GetBytes(memo));

    private int StageBytes(byte[] bytes)
    {
        var at = _copyMemo(bytes.Length, 0);
        bytes.CopyTo(_memory.GetSpan(at, bytes.Length));
        return at;
    }

    public (bool Ok, int FailingIndex) Validate(IReadOnlyList<(long Account, long Amount, int Currency, string Memo)> transfers)
    {
        _resetArena();
        ref var header = ref Header();
        header.Count = transfers.Count;
        // C# fixes the target location first: alloc_postings runs (and may grow memory) before the store lands in the old header.
        header.FirstPosting = _allocPostings(transfers.Count); // expect: WVA001
        header = ref Header();
        var first = header.FirstPosting;

        for (var i = 0; i < transfers.Count; i++)
        {
            ref var posting = ref PostingAt(first, i);
            posting.AccountId = transfers[i].Account;
            posting.AmountMinor = transfers[i].Amount;
            posting.CurrencyCode = transfers[i].Currency;
            // The ref was bound before StageMemo (copy_memo) ran: the write goes to where the posting was.
            posting.MemoPtr = StageMemo(transfers[i].Memo); // expect: WVA001
            // Safe twin: the guest call goes into a local first, the ref is bound again after it.
            var memoLength = System.Text.Encoding.UTF8.GetByteCount(transfers[i].Memo);
            posting = ref PostingAt(first, i);
            posting.MemoLen = memoLength;
        }

        var verdict = _validate(header.FirstPosting); // expect: WVA001
        header = ref Header();
        // Safe: bound again after validate_batch.
        return (verdict == 0 && header.Verdict == 0, header.FailingIndex);
    }

    public long SumAccount(long account, int first, int count)
    {
        long total = 0;
        for (var i = 0; i < count; i++)
        {
            // A copy (no ref): reading it later is fine.
            var posting = MemoryMarshal.Read<Posting>(_memory.GetSpan(first + i * Unsafe.SizeOf<Posting>(), Unsafe.SizeOf<Posting>()));
            if (posting.AccountId == account)
            {
                total += posting.AmountMinor;
            }
        }
        return total;
    }

    public void Reverse(int first, int index)
    {
        ref var original = ref PostingAt(first, index);
        var copy = original;
        var reversalFirst = _allocPostings(1);
        // Safe: 'copy' is a struct copy made before the call.
        ref var reversal = ref PostingAt(reversalFirst, 0);
        reversal = copy;
        reversal.AmountMinor = -copy.AmountMinor;
        // 'original' was bound before alloc_postings: writing its flag marks a posting that may have moved.
        original.Flags |= 0x2; // expect: WVA001
    }

    public void Normalize(int first, int count)
    {
        var postings = MemoryMarshal.Cast<byte, Posting>(_memory.GetSpan(first, count * Unsafe.SizeOf<Posting>()));
        ref var cursor = ref MemoryMarshal.GetReference(postings);
        for (var i = 0; i < count; i++)
        {
            ref var p = ref Unsafe.Add(ref cursor, i);
            if (p.AmountMinor < 0)
            {
                p.Flags |= 0x1;
            }
        }
        // Safe: the whole loop ran before the guest is asked to validate.
        var verdict = _validate(first);
        if (verdict != 0)
        {
            // The loop's span is read after validate_batch ran.
            Console.WriteLine($"first posting flags {postings[0].Flags}"); // expect: WVA001
        }
        // Safe: only the length of the stale span is read.
        Console.WriteLine($"normalized {postings.Length} postings");
    }

    public static int CountOf(scoped ReadOnlySpan<Posting> postings) => postings.Length;

    public int Audit(int first, int count)
    {
        var postings = MemoryMarshal.Cast<byte, Posting>(_memory.GetSpan(first, count * Unsafe.SizeOf<Posting>()));
        _resetArena();
        // Safe: CountOf only reads the length.
        var n = CountOf(postings);
        // Header() is obtained after the reset: fresh.
        return Header().Count + n;
    }
}
