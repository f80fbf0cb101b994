using System.Diagnostics;

namespace WasmViewAnalyzers.Runtime.Tests;

/// <summary>
/// The test assembly's entry point, for tests whose scenario may kill its process (an access violation cannot be
/// caught): <see cref="ChildProcess.Run"/> starts <c>dotnet &lt;this assembly&gt; scenario NAME</c> and reads what it
/// printed and how it ended. The test runner loads the assembly without calling this.
/// </summary>
internal static class Program
{
    public static int Main(string[] args) =>
        args is ["scenario", var name] ? StressScenarios.Run(name) : 2;
}

internal static class ChildProcess
{
    public static (int ExitCode, string Output) Run(string scenario)
    {
        // The dotnet CLI tells the processes it starts where it is; outside it, "dotnet" on the PATH.
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        start.ArgumentList.Add("scenario");
        start.ArgumentList.Add(scenario);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill();
            throw new TimeoutException($"The scenario '{scenario}' did not end within 60 s.");
        }

        return (process.ExitCode, output + error.Result);
    }
}
