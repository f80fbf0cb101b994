using ImageBatch.Guest;
using Wasmtime;

namespace ImageBatch;

internal enum HostKind
{
    Buggy,
    Fixed,
    Guarded,
}

/// <summary>One host converting the batch under one engine setup.</summary>
internal sealed record HostRun(HostKind Host, EngineSetup Setup)
{
    public string HostName => $"{Host}Host";

    /// <summary>
    /// The buggy host reads through dangling pointers; when memory moved, that read faults and a
    /// fault ends the process, so it runs in a child process whose death the runner can report.
    /// </summary>
    public bool RunsInChildProcess => Host == HostKind.Buggy;

    public string Expectation => Host switch
    {
        HostKind.Buggy => "corrupt entries or a crash",
        HostKind.Fixed => "every entry verifies",
        HostKind.Guarded => "StaleWasmViewException",
        _ => throw new InvalidOperationException($"Unknown host {Host}."),
    };

    public void ConvertToArchive(Engine engine, IReadOnlyList<SourceImage> images, Stream destination, IProgress<ImageConverted> progress)
    {
        switch (Host)
        {
            case HostKind.Buggy:
                BuggyHost.ImageArchiver.ConvertToArchive(engine, images, destination, progress);
                break;
            case HostKind.Fixed:
                FixedHost.ImageArchiver.ConvertToArchive(engine, images, destination, progress);
                break;
            case HostKind.Guarded:
                GuardedHost.ImageArchiver.ConvertToArchive(engine, images, destination, progress);
                break;
            default:
                throw new InvalidOperationException($"Unknown host {Host}.");
        }
    }
}
