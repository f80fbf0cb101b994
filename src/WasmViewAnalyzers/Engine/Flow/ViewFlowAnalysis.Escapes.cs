using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Knowledge;
using WasmViewAnalyzers.Engine.Summaries;

namespace WasmViewAnalyzers.Engine.Flow;

/// <summary>
/// Escapes (WVA002): a view leaves the method that obtained it while the method runs on, stored
/// in a field or property, added to a collection, captured by a delegate that runs later, or handed
/// to a method of the compilation that keeps it. Found in the reporting pass of the one flow
/// analysis, from the same states the stale uses come from.
/// </summary>
internal sealed partial class ViewFlowAnalysis
{
    /// <summary>Which parameters of <paramref name="method"/> that can hold a view it keeps beyond the call.</summary>
    public static ImmutableDictionary<int, ParameterEscape> SummarizeEscapingParameters(WasmViewSemantics semantics, ControlFlowGraph graph, IMethodSymbol method, SummarySolver visit, CancellationToken cancellationToken)
    {
        // Keeping a guarded view corrupts nothing: it throws when read stale.
        var parameters = ParameterViews.Of(semantics, graph.OriginalOperation, method, includeRuntimeChecked: false);
        if (parameters.IsEmpty)
        {
            return ImmutableDictionary<int, ParameterEscape>.Empty;
        }

        var facts = new ParameterEscapeSink(parameters);
        var analysis = new ViewFlowAnalysis(semantics, graph, visit, facts, cancellationToken);
        analysis.SolveAndReport();
        var escapes = facts.Escapes;

        // Put(ref slot, value) { slot = value; }: the value leaves through the caller's ref argument.
        if (analysis._in[graph.Blocks.Length - 1] is { } exit)
        {
            foreach (var parameter in method.Parameters)
            {
                if (parameter.RefKind is RefKind.Ref or RefKind.Out
                    && exit.Get(parameter) is { } value
                    && parameters.Ordinals.TryGetValue(value.Origin, out var stored)
                    && stored != parameter.Ordinal
                    && !escapes.ContainsKey(stored))
                {
                    escapes = escapes.Add(stored, new ParameterEscape("stored in ref parameter '" + parameter.Name + "'", intoReceiver: false, parameter.Ordinal));
                }
            }
        }

        return escapes;
    }

    private void RecordEscapeFact(ViewFactSink facts, IOperation escapingValue, ViewValue value, string destination, bool intoReceiver, string? name = null, IOperation? location = null)
    {
        // Views the companion library checks when read (guarded views and streams) throw instead of corrupting data.
        if (ViewTypeClassifier.IsRuntimeChecked(value.Origin.Acquisition.Type) || ViewTypeClassifier.IsRuntimeChecked(escapingValue.WalkDownConversions().Type))
        {
            return;
        }

        name ??= value.LastReference is null ? NameOfUnnamed(escapingValue) : NameOf(value.LastReference);
        facts.Escape(new ViewEscape(location ?? escapingValue, escapingValue, name, value, destination), intoReceiver);
    }

    /// <summary>How a message names a view that no variable holds: the part of a tuple that is the view, shortly.</summary>
    private string NameOfUnnamed(IOperation value)
    {
        var operation = value.WalkDownConversions();
        if (operation is ITupleOperation tuple)
        {
            foreach (var element in tuple.Elements)
            {
                if (_semantics.Types.CanHoldView(element.WalkDownConversions().Type))
                {
                    return NameOfUnnamed(element);
                }
            }
        }

        return operation switch
        {
            IObjectCreationOperation { Type: { } type } => "new " + type.Name + "(...)",
            ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation or IPropertyReferenceOperation => NameOf(operation),
            _ => operation.Syntax.ToString().Length <= 40 ? operation.Syntax.ToString() : operation.DescribeCall(),
        };
    }

    private sealed partial class Evaluator
    {
        private EscapeSinks Sinks => Semantics.EscapeSinks;

        private bool CollectsEscapes => _facts.WantsEscapes;

        /// <summary><c>target = value</c> where the target is not a local: a field, a property, an element of an array kept elsewhere.</summary>
        private void EscapeByStore(IOperation target, Operand stored)
        {
            if (target.Type?.TypeKind == TypeKind.Delegate)
            {
                if (CollectsEscapes && DescribeStore(target) is { } delegateDestination)
                {
                    EscapeCaptured(stored.Operation, "a delegate " + delegateDestination.Phrase, delegateDestination.IntoReceiver);
                }

                return;
            }

            if (Effective(stored) is not { } value || !KeepsView(target.Type, stored, value) || Semantics.ViewSources.IsOwnStateOfViewType(target))
            {
                return;
            }

            if (DescribeStore(target) is { } destination)
            {
                if (IsCollectionInitializedHere(stored.Operation))
                {
                    return;
                }

                KeptStale(stored.Operation, value);
                Escape(stored.Operation, value, destination.Phrase, destination.IntoReceiver);
            }
            else if (Classify(target) == StoreTargetKind.MemberOfHeldObject && InstanceOf(target) is { } instance && OwnedHolderOf(instance) is { } holder)
            {
                // holder.View = view where holder is an object of the method: the local now carries the view.
                _state.Set(holder, ViewValue.Join(_state.Get(holder), value));
            }
        }

        private void Escape(IOperation escapingValue, ViewValue value, string destination, bool intoReceiver, string? name = null, IOperation? location = null)
        {
            if (CollectsEscapes)
            {
                _analysis.RecordEscapeFact(_facts, escapingValue, value, destination, intoReceiver, name, location);
            }
        }

        /// <summary>
        /// <c>_addresses = new List&lt;nint&gt; { address }</c>: each element was kept by its <c>Add</c>,
        /// and reported there; the store of the collection adds nothing.
        /// </summary>
        private bool IsCollectionInitializedHere(IOperation stored)
        {
            if (stored.WalkDownConversions() is not IFlowCaptureReferenceOperation capture)
            {
                return false;
            }

            foreach (var value in _analysis.ResolveCapture(capture.Id))
            {
                if (value.Syntax is BaseObjectCreationExpressionSyntax { Initializer: { } initializer }
                    && initializer.IsKind(SyntaxKind.CollectionInitializerExpression))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// A view that is already stale when it is kept is used there as well: whoever keeps it
        /// reads whatever the guest left at that address (WVA001 beside WVA002, one use, two
        /// diagnostics). Guarded views check themselves when read.
        /// </summary>
        private void KeptStale(IOperation keptValue, ViewValue value)
        {
            if (value.IsStale
                && !ViewTypeClassifier.IsRuntimeChecked(value.Origin.Acquisition.Type)
                && !ViewTypeClassifier.IsRuntimeChecked(keptValue.WalkDownConversions().Type))
            {
                Record(keptValue, value);
            }
        }

        private static IOperation? InstanceOf(IOperation target) => target switch
        {
            IFieldReferenceOperation field => field.Instance,
            IPropertyReferenceOperation property => property.Instance,
            IArrayElementReferenceOperation element => element.ArrayReference,
            _ => null,
        };

        /// <summary>A call that keeps its arguments: a collection, a channel, a scheduler, a method of the compilation that stores them.</summary>
        private void EscapeThroughCall(IInvocationOperation invocation, List<Operand> inputs)
            => EscapeThroughArguments(invocation.TargetMethod, invocation.Instance, invocation.Arguments, inputs, invocation.Syntax.SyntaxTree);

        private void EscapeThroughCreation(IObjectCreationOperation creation, List<Operand> inputs)
        {
            if (creation.Constructor is { } constructor)
            {
                EscapeThroughArguments(constructor, instance: null, creation.Arguments, inputs, creation.Syntax.SyntaxTree);
            }
        }

        /// <summary><c>source.Event += () =&gt; ...</c>: the handler runs whenever the event fires.</summary>
        private ViewValue? EvaluateEventAssignment(IEventAssignmentOperation assignment)
        {
            if (CollectsEscapes && assignment.Adds && assignment.HandlerValue is { } handler)
            {
                EscapeCaptured(handler, "a delegate subscribed to '" + (assignment.EventReference is IEventReferenceOperation reference ? reference.Event.Name : assignment.EventReference.Syntax.ToString()) + "'", intoReceiver: false);
            }

            return EvaluateGeneric(assignment);
        }

        /// <summary>A delegate returned from the method runs after it, with whatever it captured.</summary>
        private void EscapeDelegateByReturn(IOperation returned)
        {
            if (CollectsEscapes && returned.Type?.TypeKind == TypeKind.Delegate)
            {
                EscapeCaptured(returned, "a delegate returned from the method", intoReceiver: false);
            }
        }

        private void EscapeThroughArguments(IMethodSymbol method, IOperation? instance, ImmutableArray<IArgumentOperation> arguments, List<Operand> operands, SyntaxTree tree)
        {
            var storing = Sinks.IsStoringCall(method);
            if (storing || Sinks.IsDeferredRunner(method))
            {
                // The phrases are built only for what is reported: most such calls hand over no view.
                var kept = storing && instance is not null && IsHeldByThis(instance);
                foreach (var argument in arguments)
                {
                    if (argument.Value.Type?.TypeKind == TypeKind.Delegate)
                    {
                        if (!CollectsEscapes)
                        {
                            continue;
                        }

                        EscapeCaptured(argument.Value, HandOverPhrase(method, instance, storing, ofDelegate: true), kept);
                    }
                    else if (FindOperand(operands, argument.Value) is { } operand && CarriesView(operand) && Effective(operand) is { } value)
                    {
                        KeptStale(argument.Value, value);
                        Escape(argument.Value, value, HandOverPhrase(method, instance, storing, ofDelegate: false), kept);
                    }
                }

                return;
            }

            if (!HasView(operands))
            {
                // Nothing handed over is a view: which parameters the callee keeps does not matter,
                // and not asking spares summarizing the callee (and what it calls) for it.
                return;
            }

            var escaping = Semantics.Escapes.GetEscapingParameters(method, _analysis.Solver, _analysis._cancellationToken);
            if (escaping.IsEmpty)
            {
                return;
            }

            foreach (var argument in arguments)
            {
                if (argument.Parameter is not { } parameter
                    || !escaping.TryGetValue(parameter.Ordinal, out var escape)
                    || FindOperand(operands, argument.Value) is not { } operand
                    || Effective(operand) is not { } value)
                {
                    continue;
                }

                if (escape.IntoParameter is { } location)
                {
                    foreach (var target in arguments)
                    {
                        if (target.Parameter?.Ordinal == location)
                        {
                            StoreThroughRefArgument(target.Value, operand);
                        }
                    }

                    continue;
                }

                if (escape.IntoReceiver)
                {
                    if (method.MethodKind == MethodKind.Constructor)
                    {
                        // The new object carries the view: followed as a view wherever it goes.
                        continue;
                    }

                    if (instance is not null && OwnedHolderOf(instance) is { } holder)
                    {
                        _state.Set(holder, ViewValue.Join(_state.Get(holder), value));
                        continue;
                    }
                }

                var callee = method.MethodKind == MethodKind.Constructor ? "new " + method.ContainingType.Name : Describe(method);
                KeptStale(argument.Value, value);
                Escape(argument.Value, value, "passed to '" + callee + "' and then " + escape.Destination, escape.IntoReceiver && instance is not null && IsHeldByThis(instance));
            }
        }

        /// <summary><c>stored in 'cache' by 'List.Add'</c>, <c>a delegate handed to 'Task.Run', which runs it later</c>.</summary>
        private string HandOverPhrase(IMethodSymbol method, IOperation? instance, bool storing, bool ofDelegate)
        {
            if (storing)
            {
                var into = instance is null ? string.Empty : " in " + DescribeReceiver(instance);
                return (ofDelegate ? "a delegate stored" : "stored") + into + " by '" + Describe(method) + "'";
            }

            return ofDelegate
                ? "a delegate handed to '" + Describe(method) + "', which runs it later"
                : "handed to '" + Describe(method) + "', which uses it later";
        }

        /// <summary>The views a delegate captures escape with it, reported at the captured variable.</summary>
        private void EscapeCaptured(IOperation delegateValue, string holder, bool intoReceiver)
        {
            foreach (var function in Semantics.Escapes.GetDelegateTargets(delegateValue, _analysis._cancellationToken))
            {
                var captured = Semantics.Captures.GetCapturedReads(function, _analysis._cancellationToken);
                if (captured.IsEmpty)
                {
                    continue;
                }

                var kind = function.MethodKind == MethodKind.LocalFunction ? "local function '" + function.Name + "'" : "a lambda";
                foreach (var symbol in captured)
                {
                    if (_state.Get(symbol) is not { } value)
                    {
                        continue;
                    }

                    var reference = FirstReference(function, symbol) ?? delegateValue;
                    if (value.IsStale && Semantics.InputReads.ReadsCaptured(function, symbol, _analysis.Solver, _analysis._cancellationToken))
                    {
                        // Already stale when the delegate leaves: whenever it runs, it reads it stale (WVA001 beside WVA002).
                        Record(reference, value.WithoutReference(), symbol.Name);
                    }

                    var destination = "captured by " + kind + (holder.StartsWith("a delegate ", System.StringComparison.Ordinal) ? holder.Substring("a delegate".Length) : " in " + holder);

                    // Reported where the capture is handed over: at the captured variable inside a
                    // lambda written there; at the hand-off of a local function, or of a lambda kept
                    // in a variable first, declared elsewhere.
                    var location = delegateValue.Syntax.Span.Contains(reference.Syntax.Span) ? reference : delegateValue;
                    Escape(reference, value.WithReference(reference), destination, intoReceiver, symbol.Name, location);
                }
            }
        }

        private IOperation? FirstReference(IMethodSymbol function, ISymbol symbol)
        {
            if (Semantics.Bodies.GetBody(function, _analysis._cancellationToken) is not { } body)
            {
                return null;
            }

            foreach (var operation in body.DescendantsAndSelf())
            {
                var referenced = operation switch
                {
                    ILocalReferenceOperation local => (ISymbol)local.Local,
                    IParameterReferenceOperation parameter => parameter.Parameter,
                    _ => null,
                };

                if (SymbolEqualityComparer.Default.Equals(referenced, symbol))
                {
                    return operation;
                }
            }

            return null;
        }

        /// <summary>Whether the location receives the view itself rather than something read out of it.</summary>
        private bool KeepsView(ITypeSymbol? locationType, Operand stored, ViewValue value)
            => Types.CanHoldView(locationType)
               || (value.IsAddress && IsAddressSizedInteger(locationType))
               || (locationType?.IsReferenceType == true && CarriesView(stored) && Types.CanHoldView(stored.Operation.WalkDownConversions().Type));

        /// <summary>
        /// Where a store goes beyond the method (<see cref="StoreTargets"/>' kind of its target), or
        /// <see langword="null"/> when it stays in the method: a variable, an object the method owns,
        /// an array it holds, guest memory.
        /// </summary>
        private (string Phrase, bool IntoReceiver)? DescribeStore(IOperation target)
        {
            switch (Classify(target), target)
            {
                case (StoreTargetKind.MemberOfThisOrStatic or StoreTargetKind.MemberOfOtherObject, IFieldReferenceOperation field):
                    return DescribeMemberStore(field.Instance, "field", field.Field.Name, field.Field.IsStatic, field.Field.ContainingType);

                case (StoreTargetKind.MemberOfThisOrStatic or StoreTargetKind.MemberOfOtherObject, IPropertyReferenceOperation property):
                    return DescribeMemberStore(property.Instance, "property", property.Property.Name, property.Property.IsStatic, property.Property.ContainingType);

                case (StoreTargetKind.Element, IPropertyReferenceOperation { Instance: { } instance } indexer) when Sinks.IsStoringIndexer(indexer.Property):
                    // cache[key] = view: a local dictionary is a queue of pending views like any other.
                    return ("stored in " + DescribeReceiver(instance) + " by the '" + indexer.Property.ContainingType.Name + "' indexer", IsHeldByThis(instance));

                case (StoreTargetKind.Element, IArrayElementReferenceOperation element) when OwnedHolderOf(element.ArrayReference) is null:
                    return ("stored in an element of " + DescribeReceiver(element.ArrayReference), IsHeldByThis(element.ArrayReference));

                default:
                    return null;
            }
        }

        private (string Phrase, bool IntoReceiver)? DescribeMemberStore(IOperation? instance, string kind, string name, bool isStatic, INamedTypeSymbol type)
        {
            if (isStatic || instance is null)
            {
                return ("stored in static " + kind + " '" + type.Name + "." + name + "'", false);
            }

            var member = kind + " '" + name + "'";
            var receiver = instance.WalkDownConversions();
            return receiver is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }
                ? ("stored in " + member, true)
                : ("stored in " + member + " of " + DescribeReceiver(receiver), IsHeldByThis(receiver));
        }

        /// <summary>Whether the receiver is (held by) the object the method runs on.</summary>
        private static bool IsHeldByThis(IOperation receiver)
            => receiver.WalkDownConversions() switch
            {
                IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } => true,
                IFieldReferenceOperation { Instance: { } instance } => IsHeldByThis(instance),
                IPropertyReferenceOperation { Instance: { } instance } => IsHeldByThis(instance),
                _ => false,
            };

        private string DescribeReceiver(IOperation receiver)
            => receiver.WalkDownConversions() switch
            {
                ILocalReferenceOperation local => "'" + local.Local.Name + "'",
                IParameterReferenceOperation parameter => "'" + parameter.Parameter.Name + "'",
                IFlowCaptureReferenceOperation capture when _analysis.ThroughCapture(capture.Id) is ILocalSymbol local => "'" + local.Name + "'",
                IFlowCaptureReferenceOperation { Type: { } type } => "a new '" + type.Name + "'",
                var other => "'" + Shorten(other.Syntax.ToString()) + "'",
            };

        private static string Shorten(string text)
        {
            text = string.Join(" ", text.Split(new[] { ' ', '\r', '\n', '\t' }, System.StringSplitOptions.RemoveEmptyEntries));
            return text.Length <= 40 ? text : "..." + text.Substring(text.Length - 37);
        }

        private static string Describe(IMethodSymbol method)
            => method.MethodKind == MethodKind.Constructor ? "new " + method.ContainingType.Name : method.ContainingType.Name + "." + method.Name;

        private static Operand? FindOperand(List<Operand> operands, IOperation value)
        {
            foreach (var operand in operands)
            {
                if (operand.Operation == value)
                {
                    return operand;
                }
            }

            return null;
        }
    }
}
