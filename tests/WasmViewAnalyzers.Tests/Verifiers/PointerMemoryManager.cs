namespace WasmViewAnalyzers.Tests.Verifiers;

/// <summary>
/// The test source of a <c>MemoryManager&lt;byte&gt;</c> over a raw pointer, as hosts write one to hand guest memory
/// to APIs that take <c>Memory&lt;byte&gt;</c>: over <c>memory.GetPointer()</c> its <c>Memory</c> is a view into guest
/// memory. One copy for every test; it compiles as a top-level type or as a member of the host class.
/// </summary>
internal static class PointerMemoryManager
{
    public const string Source = """

        sealed unsafe class PointerManager : MemoryManager<byte>
        {
            private readonly byte* _pointer;
            private readonly int _length;

            public PointerManager(byte* pointer, int length)
            {
                _pointer = pointer;
                _length = length;
            }

            public override Span<byte> GetSpan() => new Span<byte>(_pointer, _length);

            public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_pointer + elementIndex);

            public override void Unpin()
            {
            }

            protected override void Dispose(bool disposing)
            {
            }
        }
        """;
}
