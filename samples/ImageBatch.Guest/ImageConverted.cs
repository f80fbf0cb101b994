namespace ImageBatch.Guest;

/// <summary>Progress of a host through the batch: one image went through the guest.</summary>
/// <param name="Index">Zero-based position of the image in the batch.</param>
/// <param name="Count">Number of images in the batch.</param>
/// <param name="Image">The image that was converted.</param>
/// <param name="OutputLength">Length of the guest's output for it.</param>
/// <param name="GuestMemoryBytes">Size of guest linear memory after the conversion.</param>
public readonly record struct ImageConverted(int Index, int Count, SourceImage Image, int OutputLength, long GuestMemoryBytes);
