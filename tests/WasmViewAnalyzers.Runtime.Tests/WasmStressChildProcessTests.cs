namespace WasmViewAnalyzers.Runtime.Tests;

/// <summary>
/// What the stress configuration does to a raw view kept across a grow, which may kill the process: run in a child
/// process.
/// </summary>
public sealed class WasmStressChildProcessTests
{
    [Theory]
    [InlineData("raw-read-after-grow")]
    [InlineData("raw-read-after-grow-with-other-stores")]
    public void RawPointerKeptAcrossAGrow_NeverReadsTheOldBytes_ItCrashesOrReadsWhateverIsMappedThereNow(string scenario)
    {
        var (exitCode, output) = ChildProcess.Run(scenario);

        Assert.Contains("moved True", output);
        var read = output.Split('\n').FirstOrDefault(line => line.StartsWith("read ", StringComparison.Ordinal));
        if (read is null)
        {
            // The process died of the access violation before it could print anything more.
            Assert.NotEqual(0, exitCode);
        }
        else
        {
            Assert.Equal(0, exitCode);
            Assert.NotEqual($"read {StressScenarios.Original:X2}", read.Trim());
        }
    }
}
