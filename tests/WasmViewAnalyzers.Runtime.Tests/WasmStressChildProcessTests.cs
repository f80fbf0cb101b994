namespace WasmViewAnalyzers.Runtime.Tests;

/// <summary>
/// What the stress configuration does to a raw view kept across a grow: the read kills the process, so the scenarios
/// run in a child process.
/// </summary>
public sealed class WasmStressChildProcessTests
{
    [Theory]
    [InlineData("raw-read-after-grow")]
    [InlineData("raw-read-after-grow-with-other-stores")]
    [InlineData("raw-read-after-grows-until-memory-covers-it")]
    public void RawPointerKeptAcrossAGrow_NeverReadsAnything_TheReadKillsTheProcess(string scenario)
    {
        var (exitCode, output) = ChildProcess.Run(scenario);

        Assert.Contains("moved True", output);
        Assert.DoesNotContain("covered True", output);
        Assert.DoesNotContain("\nread ", "\n" + output);
        Assert.NotEqual(0, exitCode);
    }
}
