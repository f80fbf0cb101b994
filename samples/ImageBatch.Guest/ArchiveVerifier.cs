using System.IO.Compression;

namespace ImageBatch.Guest;

/// <summary>What one archive entry holds compared with what it should hold.</summary>
/// <param name="Name">Entry name.</param>
/// <param name="CrcMatches">The entry's bytes match the CRC-32 the ZIP writer stored for them.</param>
/// <param name="ContentMatches">The entry's bytes equal the reference conversion of its image.</param>
public sealed record EntryCheck(string Name, bool CrcMatches, bool ContentMatches)
{
    public bool Verifies => CrcMatches && ContentMatches;
}

/// <summary>The result of checking an archive against the reference conversion of the batch.</summary>
public sealed class ArchiveCheck
{
    internal ArchiveCheck(int expected, IReadOnlyList<EntryCheck> entries, string? unreadableReason)
    {
        Expected = expected;
        Entries = entries;
        UnreadableReason = unreadableReason;
    }

    /// <summary>Number of images in the batch, hence of entries the archive should have.</summary>
    public int Expected { get; }

    /// <summary>The entries found in the archive, in archive order.</summary>
    public IReadOnlyList<EntryCheck> Entries { get; }

    /// <summary>Why the archive could not be read at all, or <see langword="null"/>.</summary>
    public string? UnreadableReason { get; }

    public int Written => Entries.Count;

    public int CrcValid => Entries.Count(e => e.CrcMatches);

    public int Verified => Entries.Count(e => e.Verifies);

    public int Corrupt => Entries.Count(e => !e.Verifies);

    public bool AllVerify => UnreadableReason is null && Written == Expected && Verified == Expected;
}

/// <summary>
/// Checks a ZIP archive written by a host: every entry's CRC as stored by the ZIP writer, and its
/// bytes against <see cref="ReferenceConverter"/>. A CRC that matches garbage is the tell-tale of
/// a stale view: the ZIP writer faithfully compressed whatever the view showed when it read it.
/// </summary>
public sealed class ArchiveVerifier
{
    private readonly Dictionary<string, byte[]> _expected;

    public ArchiveVerifier(IReadOnlyList<SourceImage> images)
    {
        _expected = images.ToDictionary(i => i.OutputName, i => ReferenceConverter.ConvertPpmToPgm(i.Ppm));
    }

    public int ExpectedCount => _expected.Count;

    public ArchiveCheck Verify(Stream archiveStream)
    {
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(archiveStream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            return Unreadable(e.Message);
        }

        using (archive)
        {
            var entries = new List<EntryCheck>(archive.Entries.Count);
            foreach (var entry in archive.Entries)
            {
                entries.Add(Check(entry));
            }

            return new ArchiveCheck(_expected.Count, entries, unreadableReason: null);
        }
    }

    public ArchiveCheck Unreadable(string reason) => new(_expected.Count, [], reason);

    private EntryCheck Check(ZipArchiveEntry entry)
    {
        byte[] content;
        try
        {
            using var stream = entry.Open();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            content = buffer.ToArray();
        }
        catch (InvalidDataException)
        {
            // Newer runtimes check the CRC while inflating and refuse a mismatch.
            return new EntryCheck(entry.FullName, CrcMatches: false, ContentMatches: false);
        }

        var crcMatches = Crc32.Compute(content) == entry.Crc32;
        var contentMatches = _expected.TryGetValue(entry.FullName, out var expected) && content.AsSpan().SequenceEqual(expected);
        return new EntryCheck(entry.FullName, crcMatches, contentMatches);
    }
}
