using System.Globalization;
using System.Text;

namespace Gensyn.Training.Inference;

/// <summary>
/// An inference job's result as a user reads it: one CSV row per item — its index, label, predicted class and logits
/// (round-trip precision) — with the accuracy and mean cross-entropy against the labels.
/// </summary>
public static class PredictionsCsv
{
    public static byte[] Write(Predictions predictions, IReadOnlyList<long> labels, out double accuracy, out double loss)
    {
        if (labels.Count != predictions.Count) throw new ArgumentException($"{labels.Count} labels for {predictions.Count} predictions");
        var text = new StringBuilder();
        text.Append("item,label,prediction");
        for (var c = 0; c < predictions.Classes; c++) text.Append(",logit_").Append(c);
        text.Append('\n');
        long correct = 0;
        double lossSum = 0;
        for (var i = 0; i < predictions.Count; i++)
        {
            var row = predictions.Logits.AsSpan(i * predictions.Classes, predictions.Classes);
            var predicted = predictions.Predicted(i);
            if (predicted == labels[i]) correct++;
            lossSum += CrossEntropy(row, labels[i]);
            text.Append(predictions.ItemStart + i).Append(',').Append(labels[i]).Append(',').Append(predicted);
            foreach (var logit in row) text.Append(',').Append(logit.ToString("R", CultureInfo.InvariantCulture));
            text.Append('\n');
        }
        accuracy = predictions.Count == 0 ? 0 : (double)correct / predictions.Count;
        loss = predictions.Count == 0 ? 0 : lossSum / predictions.Count;
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>−log softmax(logits)[label], computed stably.</summary>
    public static double CrossEntropy(ReadOnlySpan<float> logits, long label)
    {
        double max = double.NegativeInfinity;
        foreach (var l in logits) max = Math.Max(max, l);
        double sum = 0;
        foreach (var l in logits) sum += Math.Exp(l - max);
        return label < 0 || label >= logits.Length ? double.NaN : max + Math.Log(sum) - logits[(int)label];
    }
}
