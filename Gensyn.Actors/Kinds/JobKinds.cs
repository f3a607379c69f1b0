using Gensyn.Actors.Kinds.Inference;
using Gensyn.Actors.Kinds.Training;
using Gensyn.Contracts.Jobs;

namespace Gensyn.Actors.Kinds;

/// <summary>
/// The job kinds this node runs, one line each: a new kind is a folder under Kinds/ with its <see cref="IJobKind"/>,
/// plus its line here.
/// </summary>
public static class JobKinds
{
    public static readonly IReadOnlyList<IJobKind> All = [TrainingJob.Instance, InferenceJob.Instance];

    /// <summary>The kind of <paramref name="spec"/>'s job.</summary>
    public static IJobKind Of(JobSpec spec) => Of(spec.Kind);

    /// <summary>The implementation of <paramref name="kind"/>.</summary>
    public static IJobKind Of(JobKind kind) =>
        All.FirstOrDefault(k => k.Kind == kind) ?? throw new ArgumentOutOfRangeException(nameof(kind), kind,
            $"no job kind {kind} is registered in {nameof(JobKinds)}.{nameof(All)}");
}
