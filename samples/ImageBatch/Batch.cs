using ImageBatch.Guest;

namespace ImageBatch;

/// <summary>The batch every host converts: fixed size and seed, so every run sees the same bytes.</summary>
internal static class Batch
{
    public const int ImageCount = 12;
    public const ulong Seed = 20240601;

    public static IReadOnlyList<SourceImage> CreateImages() => SyntheticImages.Create(ImageCount, Seed);
}
