using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace ImageBatch;

internal enum EngineSetup
{
    /// <summary>Wasmtime's defaults: on 64-bit hosts memory is reserved up front and grows in place.</summary>
    Default,

    /// <summary><see cref="WasmStress.CreateConfig"/>: every grow moves guest memory.</summary>
    Stress,
}

internal static class EngineSetups
{
    public static Engine CreateEngine(this EngineSetup setup) => setup switch
    {
        EngineSetup.Default => new Engine(),
        EngineSetup.Stress => new Engine(WasmStress.CreateConfig()),
        _ => throw new ArgumentOutOfRangeException(nameof(setup), setup, null),
    };

    public static string Label(this EngineSetup setup) => setup switch
    {
        EngineSetup.Default => "default",
        EngineSetup.Stress => "stress",
        _ => throw new ArgumentOutOfRangeException(nameof(setup), setup, null),
    };
}
