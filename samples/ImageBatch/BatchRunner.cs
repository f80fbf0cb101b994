using ImageBatch.Guest;

namespace ImageBatch;

/// <summary>Runs every host on the batch, checks what each produced, and prints the report.</summary>
internal static class BatchRunner
{
    private static readonly HostRun[] Runs =
    [
        new(HostKind.Buggy, EngineSetup.Default),
        new(HostKind.Buggy, EngineSetup.Stress),
        new(HostKind.Fixed, EngineSetup.Default),
        new(HostKind.Fixed, EngineSetup.Stress),
        new(HostKind.Guarded, EngineSetup.Stress),
    ];

    public static int Run()
    {
        var images = Batch.CreateImages();
        var verifier = new ArchiveVerifier(images);
        Console.WriteLine(
            $"ImageBatch: {images.Count} synthetic PPM images (seed {Batch.Seed}) converted to grayscale PGM by a " +
            "WebAssembly guest, then zipped.");
        Console.WriteLine("The 'stress' engine setup makes every Memory.Grow move guest memory.");
        Console.WriteLine();

        var results = new List<HostResult>(Runs.Length);
        for (var i = 0; i < Runs.Length; i++)
        {
            var run = Runs[i];
            var where = run.RunsInChildProcess ? ", in a child process" : string.Empty;
            Console.WriteLine($"[{i + 1}/{Runs.Length}] {run.HostName}, {run.Setup.Label()} engine{where}");
            var result = run.RunsInChildProcess
                ? IsolatedRun.Run(run, verifier)
                : RunInProcess(run, images, verifier);
            Console.WriteLine($"      -> {result.Summary}");
            results.Add(result);
        }

        Console.WriteLine();
        Report.Print(images.Count, results);
        return results.TrueForAll(r => r.AsExpected) ? 0 : 1;
    }

    private static HostResult RunInProcess(HostRun run, IReadOnlyList<SourceImage> images, ArchiveVerifier verifier)
    {
        using var archive = new MemoryStream();
        try
        {
            using var engine = run.Setup.CreateEngine();
            run.ConvertToArchive(engine, images, archive, new ProgressPrinter(run.Setup));
        }
        catch (WasmViewAnalyzers.Runtime.StaleWasmViewException e)
        {
            return HostResult.Failed(run, FailureKind.StaleView, e.Message);
        }
        catch (Exception e)
        {
            // Any other failure is a broken sample, reported as unexpected rather than ending the report.
            return HostResult.Failed(run, FailureKind.Other, $"{e.GetType().FullName}: {e.Message}");
        }

        archive.Position = 0;
        return HostResult.Completed(run, verifier.Verify(archive));
    }
}
