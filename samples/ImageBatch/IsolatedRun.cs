using System.Diagnostics;
using System.Text;
using ImageBatch.Guest;

namespace ImageBatch;

/// <summary>
/// Runs a host in a child process (this same program, started with <see cref="ChildFlag"/>), so
/// that a read through a dangling view that faults ends the child, not the report. The child
/// prints its progress, which is relayed line by line, and writes the archive to a file.
/// </summary>
internal static class IsolatedRun
{
    public const string ChildFlag = "--child-buggy-host";

    // Exit statuses of a process killed by a memory fault: SIGSEGV and SIGBUS as shells report
    // them (128 + signal), and STATUS_ACCESS_VIOLATION on Windows.
    private static readonly int[] FaultExitCodes = [128 + 11, 128 + 7, unchecked((int)0xC0000005)];

    public static HostResult Run(HostRun run, ArchiveVerifier verifier)
    {
        var archivePath = Path.Combine(Path.GetTempPath(), $"imagebatch-{Environment.ProcessId}-{run.HostName}-{run.Setup}.zip");
        try
        {
            var (exitCode, errors) = RunChild(run.Setup, archivePath);
            if (exitCode != 0)
            {
                return DescribeDeath(run, exitCode, errors);
            }

            using var archive = File.OpenRead(archivePath);
            return HostResult.Completed(run, verifier.Verify(archive));
        }
        finally
        {
            File.Delete(archivePath);
        }
    }

    /// <summary>The child's side: convert the batch with the buggy host and write the archive to a file.</summary>
    public static int RunBuggyHostInChild(EngineSetup setup, string archivePath)
    {
        var images = Batch.CreateImages();
        using var engine = setup.CreateEngine();
        using var archive = File.Create(archivePath);
        BuggyHost.ImageArchiver.ConvertToArchive(engine, images, archive, new ProgressPrinter(setup));
        return 0;
    }

    private static (int ExitCode, string Errors) RunChild(EngineSetup setup, string archivePath)
    {
        var startInfo = new ProcessStartInfo(Environment.ProcessPath ?? throw new InvalidOperationException("Cannot locate this program."))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // Started as 'dotnet ImageBatch.dll' rather than through the apphost: pass the assembly on.
        if (Path.GetFileNameWithoutExtension(startInfo.FileName) == "dotnet")
        {
            startInfo.ArgumentList.Add(typeof(IsolatedRun).Assembly.Location);
        }

        startInfo.ArgumentList.Add(ChildFlag);
        startInfo.ArgumentList.Add(setup.ToString());
        startInfo.ArgumentList.Add(archivePath);

        // A crash is the expected outcome here; a crash dump of it would only cost time and disk.
        startInfo.Environment["DOTNET_DbgEnableMiniDump"] = "0";

        using var child = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start the child process.");
        var errors = new StringBuilder();
        child.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (errors)
                {
                    errors.AppendLine(e.Data);
                }
            }
        };
        child.BeginErrorReadLine();
        while (child.StandardOutput.ReadLine() is { } line)
        {
            Console.WriteLine(line);
        }

        child.WaitForExit();
        lock (errors)
        {
            return (child.ExitCode, errors.ToString());
        }
    }

    private static HostResult DescribeDeath(HostRun run, int exitCode, string errors)
    {
        // The runtime's last words: "Fatal error." then the exception, or "Unhandled exception. <exception>".
        var exception = errors
            .Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.StartsWith("Unhandled exception. ", StringComparison.Ordinal) ? line["Unhandled exception. ".Length..] : line)
            .FirstOrDefault(line => line.StartsWith("System.", StringComparison.Ordinal) && line.Contains("Exception", StringComparison.Ordinal));
        var signal = exitCode > 128 && exitCode < 128 + 32 && !OperatingSystem.IsWindows() ? $" (signal {exitCode - 128})" : string.Empty;
        var message = $"child process died with exit code {exitCode}{signal}: {exception ?? "it reported no exception"}";
        var isFault = exception?.StartsWith("System.AccessViolationException", StringComparison.Ordinal) == true
            || FaultExitCodes.Contains(exitCode);
        return HostResult.Failed(run, isFault ? FailureKind.MemoryFault : FailureKind.Other, message);
    }
}
