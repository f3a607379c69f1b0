namespace Gensyn.Contracts.Messages;

/// <summary>
/// Marks every record that crosses a process boundary or lands in the journal. All of them are bound
/// to <see cref="Serialization.GensynSerializer"/>; nothing of the project's falls back to a default serializer.
/// </summary>
public interface IGensynMessage;

/// <summary>A message for one job's JobActor; sharding routes it by <see cref="JobId"/>.</summary>
public interface IJobCommand : IGensynMessage
{
    JobId JobId { get; }
}
