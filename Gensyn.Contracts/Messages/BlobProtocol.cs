using Akka.IO;
using Akka.Streams;

namespace Gensyn.Contracts.Messages;

// Blobs (states, checkpoints, models) never ride inside messages: they are offered as StreamRefs and
// named by their SHA-256, which every receiver checks.

/// <summary>Ask a blob store for the blob named <see cref="Hash"/>; answered with a <see cref="BlobOffer"/> or <see cref="BlobMissing"/>.</summary>
public sealed record FetchBlob(Sha256Digest Hash) : IGensynMessage;

/// <summary>
/// A blob ready to stream. Sent by a store answering <see cref="FetchBlob"/>, or by a worker that uploads
/// (the store pulls, checks the hash and answers <see cref="BlobStored"/> or <see cref="BlobRefused"/>).
/// </summary>
public sealed record BlobOffer(Sha256Digest Hash, long Size, ISourceRef<ByteString> Source) : IGensynMessage;

public sealed record BlobMissing(Sha256Digest Hash) : IGensynMessage;

public sealed record BlobStored(Sha256Digest Hash) : IGensynMessage;

public sealed record BlobRefused(Sha256Digest Hash, string Reason) : IGensynMessage;
