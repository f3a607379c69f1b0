namespace Gensyn.Training.Training;

/// <summary>Test-set metrics: mean cross-entropy loss, accuracy (next-byte accuracy for charlm), and perplexity for charlm.</summary>
public sealed record Evaluation(double Loss, double Accuracy, double? Perplexity, long Examples);
