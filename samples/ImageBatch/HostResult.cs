using ImageBatch.Guest;

namespace ImageBatch;

internal enum FailureKind
{
    None,

    /// <summary>The host threw <c>StaleWasmViewException</c>.</summary>
    StaleView,

    /// <summary>The host's process died of a memory access fault.</summary>
    MemoryFault,

    /// <summary>The host threw something else, or its process died of something else.</summary>
    Other,
}

/// <summary>What a host run produced: an archive to check, or a failure.</summary>
internal sealed record HostResult(HostRun Run, ArchiveCheck? Archive, FailureKind FailureKind, string? FailureMessage)
{
    public static HostResult Completed(HostRun run, ArchiveCheck archive) => new(run, archive, FailureKind.None, null);

    public static HostResult Failed(HostRun run, FailureKind kind, string message) => new(run, null, kind, message);

    private bool ArchiveIsDamaged =>
        Archive is { } archive && (archive.UnreadableReason is not null || archive.Corrupt > 0 || archive.Written < archive.Expected);

    public bool AsExpected => Run.Host switch
    {
        HostKind.Buggy => ArchiveIsDamaged || FailureKind == FailureKind.MemoryFault,
        HostKind.Fixed => Archive is { AllVerify: true },
        HostKind.Guarded => FailureKind == FailureKind.StaleView,
        _ => false,
    };

    /// <summary>A few words for the report's table.</summary>
    public string Summary
    {
        get
        {
            if (Archive is { } archive)
            {
                if (archive.UnreadableReason is not null)
                {
                    return "archive unreadable";
                }

                var missing = Math.Max(0, archive.Expected - archive.Written);
                return (archive.Corrupt, missing) switch
                {
                    (0, 0) => "all entries verify",
                    (_, 0) => $"{archive.Corrupt} corrupt entries",
                    _ => $"{archive.Corrupt} corrupt, {missing} missing",
                };
            }

            return FailureKind switch
            {
                FailureKind.StaleView => "threw StaleWasmViewException",
                FailureKind.MemoryFault => "crashed: memory access fault",
                _ => "failed",
            };
        }
    }

    /// <summary>The line under the table that says what exactly happened, if there is more to say.</summary>
    public string? Detail
    {
        get
        {
            if (FailureMessage is not null)
            {
                return FailureMessage;
            }

            if (Archive is not { } archive)
            {
                return null;
            }

            if (archive.UnreadableReason is not null)
            {
                return archive.UnreadableReason;
            }

            var corrupt = archive.Entries.Where(e => !e.Verifies).ToList();
            if (corrupt.Count == 0)
            {
                return null;
            }

            var names = string.Join(", ", corrupt.Select(e => e.Name));
            return corrupt.All(e => e.CrcMatches)
                ? $"corrupt: {names}. Their CRCs are valid: the ZIP writer compressed exactly the garbage the views showed."
                : $"corrupt: {names}.";
        }
    }
}
