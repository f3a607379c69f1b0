using Gensyn.Contracts.Jobs;
using Gensyn.Training.Models.TorchScript;

namespace Gensyn.Actors.Workers;

/// <summary>
/// A worker's copy of the TorchScript module a job names: fetched through its coordinator link by hash, and
/// admitted (hash, then sandbox, then load) before any session is built over it. A module that fails is refused
/// with its one-line reason, and the shard is not run.
/// </summary>
public static class WorkerModules
{
    public static async Task<JobSpec> EnsureAsync(JobSpec spec, ICoordinatorLink link, CancellationToken cancel)
    {
        if (spec.Model.Kind != ModelKind.TorchScript) return spec;
        try
        {
            return await TorchScriptModules.EnsureAsync(spec, hash => link.FetchAsync(hash, cancel));
        }
        catch (TorchScriptException e)
        {
            throw new JobSpecException($"{e.Message}; the shard was not run");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            var why = e.GetBaseException().Message.ReplaceLineEndings(" ");
            throw new JobSpecException(
                $"model.module {spec.Model.Module} could not be fetched: {why}; the shard was not run");
        }
    }
}
