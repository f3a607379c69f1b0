using System.Runtime.InteropServices;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Training;

// Sets process-wide environment variables for a moment, so it runs alone.
[Collection(Gensyn.Tests.Verification.TorchThreadCountCollection.Name)]
public class NativeAllocatorTests
{
    // glibc marks a chunk it mapped on its own with bit 1 of the size word just before the pointer it returns.
    private const long IsMmapped = 2;

    [Fact]
    public void On_glibc_a_step_sized_allocation_stays_in_the_heap_and_a_large_one_is_mapped()
    {
        Assert.True(NativeAllocator.Configure(), "mallopt refused the thresholds");
        Assert.False(Mapped(1 << 20), "a 1 MiB allocation (a layer's gradient) was mapped on its own");
        // Above the mmap threshold, but also above the trim threshold: free heap memory that earlier tests left (up to
        // the trim threshold) could serve an allocation just over 4 MiB from the heap, never this one.
        Assert.True(Mapped(4 * NativeAllocator.TrimThreshold), "an allocation above the thresholds was not mapped");
    }

    [Theory]
    [InlineData("GENSYN_MALLOC_TUNING", "0")]
    [InlineData("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=131072")]
    public void An_operator_setting_leaves_the_allocator_alone(string variable, string value)
    {
        var previous = Environment.GetEnvironmentVariable(variable);
        try
        {
            Environment.SetEnvironmentVariable(variable, value);
            Assert.False(NativeAllocator.Configure());
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, previous);
        }
    }

    /// <summary>Whether malloc (AllocHGlobal on Unix) mapped an allocation of <paramref name="bytes"/> on its
    /// own.</summary>
    private static bool Mapped(int bytes)
    {
        var pointer = Marshal.AllocHGlobal(bytes);
        try
        {
            return (Marshal.ReadInt64(pointer, -sizeof(long)) & IsMmapped) != 0;
        }
        finally
        {
            Marshal.FreeHGlobal(pointer);
        }
    }
}
