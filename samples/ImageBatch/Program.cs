using ImageBatch;

// The runner starts itself again, with these arguments, to run the buggy host in a child process:
// a read through a dangling view may fault, and a fault kills the whole .NET process.
if (args is [IsolatedRun.ChildFlag, var setup, var archivePath])
{
    return IsolatedRun.RunBuggyHostInChild(Enum.Parse<EngineSetup>(setup), archivePath);
}

if (args.Length > 0)
{
    Console.Error.WriteLine("usage: ImageBatch (no arguments)");
    return 2;
}

return BatchRunner.Run();
