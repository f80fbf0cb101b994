using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Engine.Flow;

/// <summary>
/// Hand-offs of views to archive and compression writers (WVA003, WVA004): which calls and
/// assignments give a view to a writer (<see cref="ArchiveWriters"/>), and whether the writer reads
/// it later or while the call runs. Recorded in the reporting pass only, like stale uses.
/// </summary>
internal sealed partial class ViewFlowAnalysis
{
    private const string CompressorNoun = "ZipArchiveEntry stream";

    private Dictionary<ILocalSymbol, List<IOperation>>? _localAssignments;

    /// <summary>
    /// Every value assigned to <paramref name="local"/> anywhere in the method, lambdas included,
    /// whatever the syntax: a declaration, <c>=</c>, <c>??=</c>, an element of a deconstruction.
    /// </summary>
    private IEnumerable<IOperation> AssignedValues(ILocalSymbol local)
    {
        if (_localAssignments is null)
        {
            _localAssignments = new Dictionary<ILocalSymbol, List<IOperation>>(SymbolEqualityComparer.Default);
            foreach (var operation in RootOperation().DescendantsAndSelf())
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation { Initializer: { } initializer } declarator:
                        AddAssignment(declarator.Symbol, initializer.Value);
                        break;
                    case IAssignmentOperation { Target: ILocalReferenceOperation reference } assignment:
                        AddAssignment(reference.Local, assignment.Value);
                        break;
                    case IAssignmentOperation { Target: IDeclarationExpressionOperation { Expression: ILocalReferenceOperation reference } } assignment:
                        AddAssignment(reference.Local, assignment.Value);
                        break;
                    case IDeconstructionAssignmentOperation deconstruction:
                        AddDeconstruction(deconstruction.Target, deconstruction.Value);
                        break;
                }
            }
        }

        return _localAssignments.TryGetValue(local, out var found) ? found : (IEnumerable<IOperation>)System.Array.Empty<IOperation>();
    }

    private void AddAssignment(ILocalSymbol local, IOperation value)
    {
        if (!_localAssignments!.TryGetValue(local, out var values))
        {
            _localAssignments[local] = values = new List<IOperation>();
        }

        values.Add(value);
    }

    private void AddDeconstruction(IOperation target, IOperation value)
    {
        if (target is IDeclarationExpressionOperation declaration)
        {
            target = declaration.Expression;
        }

        if (target is ITupleOperation targets && value.WalkDownConversions() is ITupleOperation values && values.Elements.Length == targets.Elements.Length)
        {
            for (var i = 0; i < targets.Elements.Length; i++)
            {
                AddDeconstruction(targets.Elements[i], values.Elements[i]);
            }
        }
        else if (target is ILocalReferenceOperation reference)
        {
            AddAssignment(reference.Local, value);
        }
    }

    /// <summary>The body of the method this graph belongs to (for a lambda or local function, its enclosing method's).</summary>
    private IOperation RootOperation()
    {
        var graph = _graph;
        while (graph.Parent is not null)
        {
            graph = graph.Parent;
        }

        return graph.OriginalOperation;
    }

    private string? DescribeCompressingValue(IOperation stream)
        => _semantics.Archives.DescribeCompressingValue(stream, AssignedValues, ResolveCapture, _cancellationToken) is { } kind
            ? kind == "ZipArchiveEntry.Open()" ? CompressorNoun : kind
            : null;

    /// <summary>
    /// Whether the task of <paramref name="invocation"/> (a <c>WriteAsync</c>) is awaited before
    /// anything may run guest code: at once, or through the local it is stored in, awaited by a
    /// later statement of the same block before any statement that may call the guest.
    /// </summary>
    private bool AwaitedBeforeGuestCode(IInvocationOperation invocation)
    {
        var parent = invocation.Parent;
        if (parent is IInvocationOperation { TargetMethod.Name: "ConfigureAwait" } configured)
        {
            parent = configured.Parent;
        }

        if (parent is IAwaitOperation)
        {
            return true;
        }

        var task = parent switch
        {
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation reference } => reference.Local,
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            _ => null,
        };

        var statement = invocation.Syntax.FirstAncestorOrSelf<StatementSyntax>();
        if (task is null || statement?.Parent is not BlockSyntax block)
        {
            return false;
        }

        var root = RootOperation();
        for (var i = block.Statements.IndexOf(statement) + 1; i < block.Statements.Count; i++)
        {
            var span = block.Statements[i].Span;
            var callsGuest = false;
            foreach (var operation in root.DescendantsAndSelf())
            {
                if (!span.Contains(operation.Syntax.Span))
                {
                    continue;
                }

                if (operation is IAwaitOperation awaited && AwaitsLocal(awaited.Operation, task))
                {
                    return true;
                }

                callsGuest |= operation.Kind is OperationKind.Invocation or OperationKind.ObjectCreation or OperationKind.PropertyReference
                              && _semantics.GuestCalls.TryGetGuestCall(operation, captures: null, Solver, _cancellationToken) is not null;
            }

            if (callsGuest)
            {
                return false;
            }
        }

        return false;
    }

    private static bool AwaitsLocal(IOperation awaited, ILocalSymbol task)
    {
        var value = awaited.WalkDownConversions();
        if (value is IInvocationOperation { TargetMethod.Name: "ConfigureAwait", Instance: { } instance })
        {
            value = instance.WalkDownConversions();
        }

        return value is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, task);
    }

    private sealed partial class Evaluator
    {
        private Dictionary<IOperation, Operand>? _convertedViews;

        /// <summary>
        /// A conversion to a type that holds no view (a data source passed as SharpZipLib's
        /// <c>IStaticDataSource</c>) drops the view from the flow; a writer the value is handed to
        /// still reads it.
        /// </summary>
        private void RememberConvertedView(IConversionOperation conversion, Operand operand)
        {
            if (_facts.WantsHandoffs && operand.Value is not null)
            {
                (_convertedViews ??= new Dictionary<IOperation, Operand>())[conversion] = operand;
            }
        }

        /// <summary>A call that hands a view to an archive or compression writer.</summary>
        private void CheckArchiveHandoff(IInvocationOperation invocation, List<Operand> inputs, List<Operand> consumed)
        {
            if (!_facts.WantsHandoffs)
            {
                return;
            }

            var archives = Semantics.Archives;
            var method = invocation.TargetMethod;
            if (archives.GetDeferredConsumer(method) is { } consumer)
            {
                foreach (var argument in invocation.Arguments)
                {
                    HandOverLater(invocation, argument.Value, consumer, inputs, consumed);
                }

                return;
            }

            if (archives.IsStreamWrite(method) && invocation.Instance is { } receiver)
            {
                // Only a write of a view asks what the stream is: most writes are of arrays.
                string? kind = null;
                foreach (var argument in invocation.Arguments)
                {
                    if (ValueOf(argument.Value, inputs, consumed) is { } value
                        && (kind ??= _analysis.DescribeCompressingValue(receiver)) is { } compressor)
                    {
                        WriteInto(invocation, argument.Value, value, receiver, compressor);
                    }
                }

                return;
            }

            if (archives.IsStreamCopy(method) && invocation.Instance is { } source && invocation.Arguments.Length > 0
                && ValueOf(source, inputs, consumed) is { } copied
                && _analysis.DescribeCompressingValue(invocation.Arguments[0].Value) is { } destinationKind)
            {
                WriteInto(invocation, source, copied, invocation.Arguments[0].Value, destinationKind);
                return;
            }

            // WriteAll(gzip, view): a helper of the compilation that writes one of its parameters into
            // its Stream parameter writes the view into the compressor as gzip.Write(view) would.
            if (HasView(inputs) && Semantics.IsSourceMethod(method, out var helper))
            {
                foreach (var (data, stream) in Semantics.StreamParameterWrites.GetWrites(helper, _analysis._cancellationToken))
                {
                    if (invocation.ArgumentFor(data) is { } handed
                        && ValueOf(handed, inputs, consumed) is { } written
                        && invocation.ArgumentFor(stream) is { } target
                        && _analysis.DescribeCompressingValue(target) is { } kind)
                    {
                        WriteInto(invocation, handed, written, target, kind);
                    }
                }
            }
        }

        /// <summary>An assignment that hands a view to a writer's property (<c>entry.DataStream = view</c>).</summary>
        private void CheckArchiveHandoff(ISimpleAssignmentOperation assignment, IPropertyReferenceOperation property, Operand assigned)
        {
            if (_facts.WantsHandoffs
                && Effective(assigned) is { } value
                && Semantics.Archives.GetDeferredConsumer(property.Property) is { } consumer
                && !IsRuntimeChecked(assignment.Value, value))
            {
                Handoff(assignment, assignment.Value, value, ArchiveHandoffKind.Deferred, "'" + consumer.Name + "'", consumer.ReadsWhen);
            }
        }

        /// <summary>
        /// <c>entry.DataStream = content</c> with <c>content</c> already stale: the writer will read
        /// it, and that is the use, reported here (beside WVA003) rather than at the later
        /// <c>WriteEntry</c>; the entry does not carry the view on.
        /// </summary>
        private void HandsStaleViewToWriter(ISimpleAssignmentOperation assignment, IPropertyReferenceOperation property, Operand assigned)
        {
            if (Effective(assigned) is { IsStale: true } value
                && Semantics.Archives.GetDeferredConsumer(property.Property) is not null
                && !IsRuntimeChecked(assignment.Value, value))
            {
                Record(assignment.Value, value);
            }
        }

        private void HandOverLater(IInvocationOperation invocation, IOperation handed, DeferredConsumer consumer, List<Operand> inputs, List<Operand> consumed)
        {
            if (ValueOf(handed, inputs, consumed) is { } value)
            {
                if (!IsRuntimeChecked(handed, value))
                {
                    Handoff(invocation, handed, value, ArchiveHandoffKind.Deferred, "'" + consumer.Name + "'", consumer.ReadsWhen);
                }

                return;
            }

            // DotNetZip's AddEntry(name, (entryName, stream) => view.CopyTo(stream)): the lambda runs at Save.
            if (NestedFunction(handed) is { } function)
            {
                foreach (var captured in Semantics.Captures.GetCapturedReads(function, _analysis._cancellationToken))
                {
                    if (_state.Get(captured) is { } capturedValue && !capturedValue.IsAddress && !IsRuntimeChecked(handed, capturedValue))
                    {
                        _facts.Handoff(new ArchiveHandoff(invocation, handed, captured.Name, capturedValue, ArchiveHandoffKind.Deferred, "'" + consumer.Name + "'", consumer.ReadsWhen));
                    }
                }

                return;
            }

            // A data source of the compilation whose GetSource() builds a stream over guest memory
            // when the archive asks for it: the bytes are whatever the guest left there by then.
            var source = handed.WalkDownConversions();
            if (Semantics.Archives.FindGetSource(source.Type) is { } getSource && Semantics.ViewSources.ReturnsView(getSource, _analysis.Solver, _analysis._cancellationToken))
            {
                var origin = new ViewOrigin(source, source.Type!.Name + "." + getSource.Name);
                Handoff(invocation, handed, ViewValue.Fresh(origin), ArchiveHandoffKind.Deferred, "'" + consumer.Name + "'", consumer.ReadsWhen);
            }
        }

        private void WriteInto(IInvocationOperation invocation, IOperation handed, ViewValue value, IOperation stream, string kind)
        {
            if (value.IsAddress || IsRuntimeChecked(handed, value))
            {
                return;
            }

            var isAsync = invocation.TargetMethod.Name.EndsWith("Async", System.StringComparison.Ordinal);
            if (isAsync && !_analysis.AwaitedBeforeGuestCode(invocation))
            {
                Handoff(
                    invocation,
                    handed,
                    value,
                    ArchiveHandoffKind.Deferred,
                    "'" + invocation.DescribeCall() + "' (" + kind + ")",
                    "in the background, and its task is not awaited before the next statement that may call the guest");
                return;
            }

            // What a concurrent guest call corrupts: an entry of an archive, or the output of a plain compressor (GZip, Deflate, ...).
            var damaged = kind is CompressorNoun or "ZipOutputStream" or "TarOutputStream" ? "the archive entry" : "the compressed output";
            Handoff(invocation, handed, value, ArchiveHandoffKind.Direct, "'" + NameOf(stream) + "' (" + kind + ")", "while it compresses, so a callback or another thread that enters the guest meanwhile corrupts " + damaged);
        }

        private void Handoff(IOperation location, IOperation handedValue, ViewValue value, ArchiveHandoffKind kind, string consumer, string readsWhen)
            => _facts.Handoff(new ArchiveHandoff(location, handedValue, NameOf(value.LastReference ?? handedValue), value, kind, consumer, readsWhen));

        /// <summary>The view <paramref name="handed"/> carries, as evaluated for this call (before a conversion dropped it).</summary>
        private ViewValue? ValueOf(IOperation handed, List<Operand> inputs, List<Operand> consumed)
        {
            foreach (var list in new[] { inputs, consumed })
            {
                foreach (var operand in list)
                {
                    if (operand.Operation == handed && Effective(operand) is { } value)
                    {
                        return value;
                    }
                }
            }

            return _convertedViews is not null && _convertedViews.TryGetValue(handed, out var converted) ? Effective(converted) : null;
        }

        private static IMethodSymbol? NestedFunction(IOperation handed)
            => handed.WalkDownConversions() switch
            {
                IDelegateCreationOperation { Target: IFlowAnonymousFunctionOperation lambda } => lambda.Symbol,
                IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } => lambda.Symbol,
                IDelegateCreationOperation { Target: IMethodReferenceOperation { Method.MethodKind: MethodKind.LocalFunction } reference } => reference.Method,
                _ => null,
            };

        /// <summary>Views the companion library checks at run time (guarded views, their spans and streams) are never reported here.</summary>
        private static bool IsRuntimeChecked(IOperation handed, ViewValue value)
        {
            var acquisition = value.Origin.Acquisition;
            var acquiredFrom = acquisition switch
            {
                IInvocationOperation invocation => invocation.Instance?.Type,
                IPropertyReferenceOperation property => property.Instance?.Type,
                _ => null,
            };

            return ViewTypeClassifier.IsRuntimeChecked(handed.Type)
                   || ViewTypeClassifier.IsRuntimeChecked(handed.WalkDownConversions().Type)
                   || ViewTypeClassifier.IsRuntimeChecked(acquisition.Type)
                   || ViewTypeClassifier.IsRuntimeChecked(acquiredFrom);
        }
    }
}
