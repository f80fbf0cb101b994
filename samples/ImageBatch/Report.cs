namespace ImageBatch;

/// <summary>The closing table: per host, what was written and what of it is right.</summary>
internal static class Report
{
    public static void Print(int imageCount, IReadOnlyList<HostResult> results)
    {
        Console.WriteLine($"Report: {imageCount} images per run. 'CRC ok' = entry matches the CRC the ZIP writer stored;");
        Console.WriteLine("'verified' = CRC ok and byte-for-byte equal to the C# reference conversion.");
        Console.WriteLine();
        Console.WriteLine($"  {"host",-12} {"engine",-8} {"written",7} {"CRC ok",7} {"verified",8} {"corrupt",7}  {"result",-30} verdict");
        foreach (var result in results)
        {
            var archive = result.Archive;
            Console.WriteLine(
                $"  {result.Run.HostName,-12} {result.Run.Setup.Label(),-8} {Count(archive?.Written),7} {Count(archive?.CrcValid),7} " +
                $"{Count(archive?.Verified),8} {Count(archive?.Corrupt),7}  {result.Summary,-30} " +
                (result.AsExpected ? "as expected" : $"UNEXPECTED, expected {result.Run.Expectation}"));
        }

        Console.WriteLine();
        foreach (var result in results.Where(r => r.Detail is not null))
        {
            Console.WriteLine($"  {result.Run.HostName} ({result.Run.Setup.Label()}): {result.Detail}");
        }

        Console.WriteLine();
        var unexpected = results.Count(r => !r.AsExpected);
        Console.WriteLine(unexpected == 0
            ? "Outcome: as expected. Views read after guest calls zip garbage or crash; copies verify; guarded views throw."
            : $"Outcome: {unexpected} of {results.Count} runs did not behave as expected.");
    }

    private static string Count(int? value) => value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-";
}
